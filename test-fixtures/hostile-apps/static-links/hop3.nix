# static-links: a static site whose directory holds links to /etc/passwd and to /etc. The site
# deploys; nginx serves its files and never what a link leads to.
{
  package = derivation {
    name = "static-links";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" ''
      set -e
      mkdir -p $out/public $out/hop3
      echo "static-links home page" > $out/public/index.html
      ln -s /etc/passwd $out/public/passwd
      ln -s /etc $out/public/etc
      echo "{ \"workers\": { \"static\": \"$out/public\" } }" > $out/hop3/runtime.json
    '' ];
  };
}
