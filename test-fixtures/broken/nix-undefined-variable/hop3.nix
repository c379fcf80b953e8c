# Broken on purpose: refers to a variable that does not exist.
# Expected: NIX_EVALUATION_ERROR
{
  package = derivation {
    name = "nix-undefined-variable";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo never built" ];
    PATH = thisVariableIsNotDefined;
  };
}
