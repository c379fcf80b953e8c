# nix-polyglot: Hop3 Nix test fixture, builtins only (no <nixpkgs>, builds anywhere nix-build runs).
# The web worker runs server.py (copied into the store) with the host's /usr/bin/python3.
# runtime.json "path" holds the package's bin directory, and the web command relies on it
# (it names nix-polyglot-server without a directory).
# The directory also holds package.json and requirements.txt: the Nix builder must not consult
# any language toolchain (Node, Python) because of them.
let
  package = derivation {
    name = "nix-polyglot";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    server = ./server.py;
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin $out/share/nix-polyglot $out/hop3
      cp $server $out/share/nix-polyglot/server.py
      cat > $out/bin/nix-polyglot-server <<WRAPPER
      #!/bin/sh
      exec /usr/bin/python3 $out/share/nix-polyglot/server.py --name nix-polyglot "\$@"
      WRAPPER
      chmod +x $out/bin/nix-polyglot-server
      cat > $out/hop3/runtime.json <<JSON
      {
        "workers": { "web": "nix-polyglot-server --host \$BIND_ADDRESS --port \$PORT" },
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
