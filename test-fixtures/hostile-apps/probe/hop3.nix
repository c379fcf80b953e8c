# probe: a hostile app for Hop3's isolation tests. Builtins only (no <nixpkgs>): the web worker is
# probe.py, copied into the store, run with the host's /usr/bin/python3.
{
  package = derivation {
    name = "hostile-probe";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    probe = ./probe.py;
    args = [ "-c" ''
      set -e
      mkdir -p $out/share $out/hop3
      cp $probe $out/share/probe.py
      cat > $out/hop3/runtime.json <<JSON
      { "workers": { "web": "exec /usr/bin/python3 $out/share/probe.py" } }
      JSON
    '' ];
  };
}
