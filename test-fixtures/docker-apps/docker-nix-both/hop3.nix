# Only planned, never built, by the Docker tests: with a Dockerfile beside it, Nix builds in auto mode.
{
  package = builtins.derivation {
    name = "docker-nix-both";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo '{\"workers\": {\"web\": \"true\"}}' > $out" ];
  };
}
