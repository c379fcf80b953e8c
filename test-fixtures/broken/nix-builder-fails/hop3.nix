# Broken on purpose: the builder prints a line to stderr and exits 1.
# Expected: NIX_BUILD_FAILED
{
  package = derivation {
    name = "nix-builder-fails";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      echo "starting the build"
      echo "compilation went wrong" >&2
      exit 1
    '' ];
  };
}
