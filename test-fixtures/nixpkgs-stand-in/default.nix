# =====================================================================
#  TEST STAND-IN FOR <nixpkgs>.  THIS IS NOT NIXPKGS.
#
#  It exists only because no nixpkgs channel can be fetched on the
#  machines this project is developed and tested on (no network).  It
#  provides just enough of the nixpkgs interface for the three example
#  hop3.nix files of the Nix integration reference to build unchanged:
#
#    pkgs.stdenv.mkDerivation { pname, version, src, buildInputs,
#                               dontBuild, buildPhase, installPhase, ... }
#    pkgs.python3.withPackages (ps: with ps; [ flask gunicorn ])
#    pkgs.buildGoModule { pname, version, src, vendorHash, postInstall, ... }
#
#  Everything is built with HOST tools (/bin/bash, /usr/bin/python3,
#  /usr/bin/go from Debian), which works because the Nix sandbox is off.
#  Use it with:   nix-build hop3.nix -A package -I nixpkgs=<this dir>
#  See README.md beside this file.
# =====================================================================
{ ... }:
let
  inherit (builtins) concatStringsSep map removeAttrs attrNames;

  system = builtins.currentSystem;

  # A derivation's builder starts with PATH=/path-not-set: every builder
  # below starts from the host's tools.
  hostPath = "/usr/bin:/bin";

  # Shell prologue shared by the builders: PATH from host tools plus the
  # bin/ of every build input, a HOME, and a writable copy of $src as the
  # current directory.
  setup = ''
    set -e
    PATH=${hostPath}
    for input in $buildInputs $nativeBuildInputs $propagatedBuildInputs; do
      if [ -d "$input/bin" ]; then PATH="$input/bin:$PATH"; fi
    done
    export PATH
    export HOME="$NIX_BUILD_TOP/home"
    mkdir -p "$HOME"
    if [ -n "$src" ]; then
      if [ -d "$src" ]; then
        cp -r "$src" "$NIX_BUILD_TOP/source"
      else
        mkdir -p "$NIX_BUILD_TOP/source"
        cp "$src" "$NIX_BUILD_TOP/source/"
      fi
      chmod -R u+w "$NIX_BUILD_TOP/source"
      cd "$NIX_BUILD_TOP/source"
    fi
    export out
  '';

  # Check at the end of every builder, so that a phase that forgot to
  # create $out gets a readable message rather than nix's generic one.
  finish = ''
    if [ ! -e "$out" ]; then
      echo "nixpkgs-stand-in: the build phases did not create \$out ($out)" >&2
      exit 1
    fi
  '';

  # ------------------------------------------------------------------
  # stdenv.mkDerivation
  # ------------------------------------------------------------------
  mkDerivation =
    { pname
    , version
    , src ? ""
    , buildInputs ? [ ]
    , nativeBuildInputs ? [ ]
    , dontBuild ? false
    , buildPhase ? ""
    , installPhase ? ""
    , ...
    }@args:
    derivation (removeAttrs args [ "meta" "passthru" "shellHook" ] // {
      name = "${pname}-${version}";
      inherit system src buildInputs nativeBuildInputs dontBuild buildPhase installPhase;
      builder = "/bin/bash";
      args = [ "-c" (setup + ''
        if [ -z "$dontBuild" ]; then
          eval "''${preBuild:-}"
          eval "$buildPhase"
          eval "''${postBuild:-}"
        fi
        if [ -z "$installPhase" ]; then
          echo "nixpkgs-stand-in: mkDerivation needs an installPhase (there is no default 'make install')" >&2
          exit 1
        fi
        eval "''${preInstall:-}"
        eval "$installPhase"
        eval "''${postInstall:-}"
      '' + finish) ];
    });

  # ------------------------------------------------------------------
  # python3 / python3.withPackages
  #
  # `ps` is a fixed attribute set (Nix has no attribute set that answers
  # every name, and `with ps;` needs the names to exist).  Each entry
  # names the module to import and the Debian package that provides it;
  # the env build fails with that package's name if the host Python
  # cannot import the module.
  # ------------------------------------------------------------------
  pyPkg = name: { module ? name, debian ? "python3-${name}", bin ? null }:
    { pname = name; inherit module debian bin; };

  pythonPackages = builtins.mapAttrs pyPkg {
    flask = { bin = "flask"; };
    gunicorn = { debian = "gunicorn"; bin = "gunicorn"; };
    werkzeug = { };
    jinja2 = { };
    click = { };
    itsdangerous = { };
    markupsafe = { };
    blinker = { };
    requests = { };
    urllib3 = { };
    certifi = { };
    idna = { };
    six = { };
    setuptools = { debian = "python3-setuptools"; module = "setuptools"; };
    pyyaml = { module = "yaml"; debian = "python3-yaml"; };
    django = { bin = "django-admin"; };
    uvicorn = { bin = "uvicorn"; };
    fastapi = { };
    starlette = { };
    pydantic = { };
    sqlalchemy = { };
    psycopg2 = { };
    redis = { };
  };

  pythonEnv = chosen:
    derivation {
      name = "python3-stand-in-env";
      inherit system;
      builder = "/bin/sh";
      PATH = hostPath;
      modules = concatStringsSep " " (map (p: p.module) chosen);
      debianPackages = concatStringsSep " " (map (p: p.debian) chosen);
      bins = concatStringsSep " " (map (p: "${p.bin}=${p.module}") (builtins.filter (p: p.bin != null) chosen));
      args = [ "-c" ''
        set -e
        if [ ! -x /usr/bin/python3 ]; then
          echo "nixpkgs-stand-in: /usr/bin/python3 is missing (apt-get install -y python3)" >&2
          exit 1
        fi
        set -- $debianPackages
        for m in $modules; do
          if ! /usr/bin/python3 -c "import $m" 2>/dev/null; then
            echo "nixpkgs-stand-in: host /usr/bin/python3 cannot import '$m' (apt-get install -y $1)" >&2
            exit 1
          fi
          shift
        done
        mkdir -p "$out/bin"
        for exe in python python3; do
          printf '#!/bin/sh\nunset PYTHONHOME\nexec /usr/bin/python3 "$@"\n' > "$out/bin/$exe"
          chmod +x "$out/bin/$exe"
        done
        for pair in $bins; do
          exe=''${pair%%=*}
          mod=''${pair#*=}
          printf '#!/bin/sh\nunset PYTHONHOME\nexec /usr/bin/python3 -m %s "$@"\n' "$mod" > "$out/bin/$exe"
          chmod +x "$out/bin/$exe"
        done
        echo "$modules" > "$out/stand-in-modules"
      '' ];
    };

  python3 = pythonEnv [ ] // {
    withPackages = f: pythonEnv (f pythonPackages);
    pkgs = pythonPackages;
  };

  # ------------------------------------------------------------------
  # buildGoModule: host Go (/usr/bin/go), no module downloads
  # (GOPROXY=off): modules without external dependencies, or with a
  # vendor/ directory, only.
  # ------------------------------------------------------------------
  buildGoModule =
    { pname
    , version
    , src
    , vendorHash ? null
    , preBuild ? ""
    , postInstall ? ""
    , ...
    }:
    derivation {
      name = "${pname}-${version}";
      inherit system pname version src preBuild postInstall;
      builder = "/bin/bash";
      args = [ "-c" (setup + ''
        if [ ! -x /usr/bin/go ]; then
          echo "nixpkgs-stand-in: /usr/bin/go is missing (apt-get install -y golang-go)" >&2
          exit 1
        fi
        # GOCACHE: with CGO_ENABLED=0, Debian's prebuilt standard library
        # (built with cgo) is stale, and rebuilding net & co. in a fresh cache
        # takes ~4 s per build.  Go's build cache is content-addressed, so
        # sharing one between builds cannot change what is built: use a
        # shared cache when it is writable (root, sandbox off), else a fresh
        # one inside the build directory.  Builds run as nixbld users, hence one
        # cache per uid.
        GOCACHE="$NIX_BUILD_TOP/go-cache"
        shared_cache="/var/tmp/hop3-nixpkgs-stand-in-go-cache-$(id -u)"
        if mkdir -p "$shared_cache" 2>/dev/null && [ -w "$shared_cache" ]; then
          GOCACHE="$shared_cache"
        fi
        export GOCACHE GOPATH="$NIX_BUILD_TOP/go" \
               GOPROXY=off GOSUMDB=off CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
        if [ -d vendor ]; then export GOFLAGS=-mod=vendor; fi
        eval "$preBuild"
        mkdir -p "$out/bin"
        /usr/bin/go build -o "$out/bin/$pname" .
        eval "$postInstall"
      '' + finish) ];
    };

in
{
  stdenv = { inherit mkDerivation; };
  inherit python3 buildGoModule;
  python3Packages = pythonPackages;
}
