# Broken on purpose: evaluates to an attribute set without `package`.
# Expected: NIX_PACKAGE_ATTRIBUTE_MISSING
{
  env = { GREETING = "no package here"; };
  pkg = derivation {
    name = "nix-no-package";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo misnamed > $out" ];
  };
}
