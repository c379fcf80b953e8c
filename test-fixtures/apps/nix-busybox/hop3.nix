# nix-busybox: Hop3 Nix test fixture whose closure is self-contained: a static busybox (copied
# from the host's /bin/busybox into the store by the build, as the other fixtures use the host's /bin/sh) is its shell and its web server, so
# the closure alone runs, as an image of its store paths (the Swarm deployer) as well as on the host.
# Two store paths (the tools, the site), so an image of the closure has a layer for each.
# Builtins only (no <nixpkgs>).
let
  tools = derivation {
    name = "nix-busybox-tools";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      set -e
      mkdir -p $out/bin
      cp /bin/busybox $out/bin/busybox
      chmod 555 $out/bin/busybox
      ln -s busybox $out/bin/sh
    '' ];
  };
  package = derivation {
    name = "nix-busybox";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    inherit tools;
    args = [ "-c" ''
      set -e
      mkdir -p $out/share/www $out/hop3
      echo "hello from nix-busybox" > $out/share/www/index.html
      cat > $out/hop3/runtime.json <<JSON
      {
        "workers": { "web": "exec busybox httpd -f -p \$BIND_ADDRESS:\$PORT -h $out/share/www" },
        "env": {},
        "path": ["$tools/bin"]
      }
      JSON
    '' ];
  };
in
{
  inherit package;
}
