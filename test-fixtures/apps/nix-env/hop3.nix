# nix-env: Hop3 Nix test fixture, builtins only (no <nixpkgs>).
# Environment comes from two places:
#   - the `env` attribute below (readable without building:
#       nix-instantiate --eval --json hop3.nix -A env)
#   - the `env` object of $out/hop3/runtime.json
# SHARED is set in both: the runtime.json value ("from-runtime-json") wins.
# COMPUTED is not a literal: plain `nix-instantiate --eval --json` fails on it
# ("cannot convert a thunk to JSON"); reading env needs `--strict`.
# The web worker prints the values it received:
#   env: GREETING=from-hop3-nix SHARED=from-runtime-json OTHER=x COMPUTED=computed-in-nix
let
  package = derivation {
    name = "nix-env";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    server = ./server.py;
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin $out/share/nix-env $out/hop3
      cp $server $out/share/nix-env/server.py
      cat > $out/bin/nix-env-server <<WRAPPER
      #!/bin/sh
      exec /usr/bin/python3 $out/share/nix-env/server.py --name nix-env --show-env GREETING --show-env SHARED --show-env OTHER --show-env COMPUTED "\$@"
      WRAPPER
      chmod +x $out/bin/nix-env-server
      cat > $out/hop3/runtime.json <<JSON
      {
        "workers": { "web": "$out/bin/nix-env-server --host \$BIND_ADDRESS --port \$PORT" },
        "env": { "SHARED": "from-runtime-json", "OTHER": "x" }
      }
      JSON
    '' ];
  };
in
{
  inherit package;
  env = {
    GREETING = "from-hop3-nix";
    SHARED = "from-hop3-nix";
    COMPUTED = "computed-" + "in-nix";
  };
}
