# Broken on purpose: the static worker points to $out/nowhere, which the package lacks.
# Expected: RUNTIME_JSON_STATIC_DIR_MISSING
{
  package = derivation {
    name = "nix-static-dir-missing";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      set -e
      mkdir -p $out/hop3 $out/public
      echo "<p>the real files are here, not in nowhere</p>" > $out/public/index.html
      echo "{ \"workers\": { \"static\": \"$out/nowhere\" } }" > $out/hop3/runtime.json
    '' ];
  };
}
