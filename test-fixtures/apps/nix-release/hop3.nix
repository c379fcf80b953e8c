# nix-release: Hop3 Nix test fixture for zero-downtime deploys, builtins only (no <nixpkgs>).
# Its web worker answers 503 while it warms up, then "release <release.txt>": a request answered
# by a half-started release is one that does not get a 200. A release.txt of "broken" never warms up.
let
  package = derivation {
    name = "nix-release";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    server = ./server.py;
    release = ./release.txt;
    args = [ "-c" ''
      set -e
      mkdir -p $out/share $out/hop3
      cp $server $out/share/server.py
      cp $release $out/share/release.txt
      cat > $out/hop3/runtime.json <<JSON
      {
        "workers": { "web": "exec /usr/bin/python3 $out/share/server.py $out/share/release.txt" },
        "env": {}
      }
      JSON
    '' ];
  };
in
{
  inherit package;
}
