# Broken on purpose: hop3/runtime.json exists but is not JSON.
# Expected: RUNTIME_JSON_NOT_JSON
{
  package = derivation {
    name = "nix-runtime-json-not-json";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      set -e
      mkdir -p $out/hop3
      echo "workers: web = this is not json" > $out/hop3/runtime.json
    '' ];
  };
}
