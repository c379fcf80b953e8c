# static-etc: a static worker that names /etc. Hop3 must refuse it (STATIC_DIR_OUTSIDE_ARTIFACT).
{
  package = derivation {
    name = "static-etc";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''mkdir -p $out/hop3 && echo '{ "workers": { "static": "/etc" } }' > $out/hop3/runtime.json'' ];
  };
}
