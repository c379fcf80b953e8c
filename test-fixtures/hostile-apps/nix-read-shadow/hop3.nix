# nix-read-shadow: evaluation reads /etc/shadow. Hop3 must refuse it with a coded error, and the
# content must never reach the store or the output.
{
  package = derivation {
    name = "nix-read-shadow";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    stolen = builtins.readFile /etc/shadow;
    args = [ "-c" ''mkdir -p $out/hop3 && echo "$stolen" > $out/stolen && echo '{ "workers": { "web": "sleep 1000" } }' > $out/hop3/runtime.json'' ];
  };
}
