# nix-static: Hop3 Nix test fixture, builtins only (no <nixpkgs>).
# Its only worker is `static`: a directory of files for the web server, so the
# artifact kind is "static".  runtime.json has neither `env` nor `path`.
let
  package = derivation {
    name = "nix-static";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    public = ./public;
    args = [ "-c" ''
      set -e
      mkdir -p $out/hop3
      cp -r $public $out/public
      chmod -R u+w $out/public
      cat > $out/hop3/runtime.json <<JSON
      { "workers": { "static": "$out/public" } }
      JSON
    '' ];
  };
in
{
  inherit package;
}
