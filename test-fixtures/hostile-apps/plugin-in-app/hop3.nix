# plugin-in-app: an ordinary static site, whose directory also ships a "plugin" in node_modules and
# names it in package.json (hop3.plugins). Hop3 run from this directory must not load it.
{
  package = derivation {
    name = "plugin-in-app";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''mkdir -p $out/public $out/hop3 && echo "plugin-in-app" > $out/public/index.html && echo "{ \"workers\": { \"static\": \"$out/public\" } }" > $out/hop3/runtime.json'' ];
  };
}
