# Broken on purpose: builds fine, but the package has no hop3/runtime.json (only bin/app).
# Expected: NIX_RUNTIME_JSON_MISSING
{
  package = derivation {
    name = "nix-no-runtime-json";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin
      printf '#!/bin/sh\necho hi\n' > $out/bin/app
      chmod +x $out/bin/app
    '' ];
  };
}
