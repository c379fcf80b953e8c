# nix-env-refs: Hop3 Nix test fixture, builtins only (no <nixpkgs>). Like nix-web, but the web
# worker shows the variables hop3.toml [env] references fill in (see hop3.toml).
let
  package = derivation {
    name = "nix-env-refs";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    server = ./server.py;
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin $out/share/nix-env-refs $out/hop3
      cp $server $out/share/nix-env-refs/server.py
      cat > $out/bin/nix-env-refs-server <<WRAPPER
      #!/bin/sh
      exec /usr/bin/python3 $out/share/nix-env-refs/server.py --name nix-env-refs --show-env GREETING --show-env SECRET_KEY --show-env API_TOKEN --show-env APP_NAME --show-env APP_HOST --show-env DB_HOST "\$@"
      WRAPPER
      chmod +x $out/bin/nix-env-refs-server
      cat > $out/hop3/runtime.json <<JSON
      {
        "workers": { "web": "nix-env-refs-server --host \$BIND_ADDRESS --port \$PORT" },
        "env": {},
        "path": ["$out/bin"]
      }
      JSON
    '' ];
  };
in
{
  inherit package;
}
