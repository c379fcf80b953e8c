# nix-slow: a build that runs for minutes, for cancellation tests (see ../README.md).
{
  package = derivation {
    name = "nix-slow";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    src = ./.;
    args = [ "-c" ''
      echo nix-slow: building
      sleep 311 && mkdir -p $out/public $out/hop3 && echo "hello from nix-slow" > $out/public/index.html && echo '{ "workers": { "static": "'$out'/public" } }' > $out/hop3/runtime.json
    '' ];
  };
}
