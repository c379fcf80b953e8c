#!/usr/bin/env bash
# Sets up a machine for this repository, then runs the main job.
#   bash scripts/setup.sh           install what is missing, build, deploy an example app, print its URL
#   bash scripts/setup.sh --no-run  install and build only (what CI uses before `pnpm test`)
# Idempotent: what is already installed is left alone.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."

# Debian packages the tests drive for real (nix-build, nginx, the uWSGI emperor), and what the Nix
# fixtures use from the host (Python with Flask and Gunicorn, Go) through the test stand-in for nixpkgs.
DEBIAN_PACKAGES=(nix-bin nginx uwsgi-core python3 python3-venv python3-flask gunicorn golang-go ruby ruby-bundler docker.io busybox-static curl procps)
PNPM_VERSION=10.34.9

run_main_job=true
[[ "${1:-}" == "--no-run" ]] && run_main_job=false

say() { printf '\n== %s\n' "$*"; }

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "Not root: run  sudo apt-get update && sudo apt-get install -y ${missing[*]}  and start again." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi

say "installing dependencies (frozen lockfile)"
pnpm install --frozen-lockfile --reporter=append-only

say "building every package"
pnpm exec turbo run build --output-logs=errors-only

if $run_main_job; then
  say "deploying the specification's Flask example with hop3"
  # No binary cache is reachable from these machines; the examples need none.
  NIX_CONFIG=$'substituters =\n' pnpm --silent hop3 deploy test-fixtures/apps/spec-flask
fi
