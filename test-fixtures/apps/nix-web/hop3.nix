# nix-web: Hop3 Nix test fixture, builtins only (no <nixpkgs>, builds anywhere nix-build runs).
# The web worker runs server.py (copied into the store) with the host's /usr/bin/python3.
# runtime.json "path" holds the package's bin directory, and the web command relies on it
# (it names nix-web-server without a directory).
let
  package = derivation {
    name = "nix-web";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    server = ./server.py;
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin $out/share/nix-web $out/hop3
      cp $server $out/share/nix-web/server.py
      cat > $out/bin/nix-web-server <<WRAPPER
      #!/bin/sh
      exec /usr/bin/python3 $out/share/nix-web/server.py --name nix-web "\$@"
      WRAPPER
      chmod +x $out/bin/nix-web-server
      cat > $out/hop3/runtime.json <<JSON
      {
        "workers": { "web": "nix-web-server --host \$BIND_ADDRESS --port \$PORT" },
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
