# Broken on purpose: hop3/runtime.json is valid JSON without a `workers` object.
# Expected: RUNTIME_JSON_WORKERS_MISSING
{
  package = derivation {
    name = "nix-runtime-json-no-workers";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      set -e
      mkdir -p $out/hop3
      echo '{ "env": { "A": "b" }, "path": [] }' > $out/hop3/runtime.json
    '' ];
  };
}
