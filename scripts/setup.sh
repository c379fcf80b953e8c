#!/usr/bin/env bash
# Sets up a machine for this repository, then runs the main job.
#   bash scripts/setup.sh           build hop3, `hop3 setup --yes` (which puts `hop3` on PATH), deploy an example app, print its URL
#   bash scripts/setup.sh --no-run  the same without the example (what CI uses before `pnpm test`)
# Idempotent: what is already installed is left alone. Needs Node.js 20.19+ and, to install, root.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
# What hop3 itself needs (nginx, uWSGI, Nix, Docker) is installed by `hop3 setup`, from the plugins'
# declared requirements. The Local builder's toolchains, uWSGI's rack and jvm plugins and PostgreSQL
# (for the postgres addon) are opt-in there; this repository's tests use them all. Below: what only the tests and the example apps use from
# the host (Flask and Gunicorn through the Nix fixtures' stand-in for nixpkgs, busybox for Docker
# images, pgrep and curl, systemd-analyze, which checks the boot unit `hop3 setup` writes, where
# systemd is not PID 1, javac, which compiles the jwsgi fixture's class in its build, the OpenSSH
# server and client the remote-deploy tests start and drive on loopback, Pebble, the ACME test
# server, with openssl s_client for the TLS tests, redis-server with redis-cli for the Redis addon's
# tests, which `hop3 setup` installs too, as an optional requirement, and Debian's docker-registry,
# which the Swarm deployer runs as Hop3's registry, and iproute2, whose `ip netns` puts the second
# engine of the two-engine Swarm test in a network namespace).
SETUP_WITH=(--with python --with node --with go --with ruby --with php --with rust --with java --with clojure --with rack --with jvm --with postgres)
TEST_PACKAGES=(python3-flask gunicorn busybox-static curl procps systemd openjdk-17-jdk-headless openssh-server openssh-client pebble openssl redis-server docker-registry iproute2)

run_main_job=true
[[ "${1:-}" == "--no-run" ]] && run_main_job=false

say() { printf '\n== %s\n' "$*"; }

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi

say "installing dependencies (frozen lockfile)"
pnpm install --frozen-lockfile --reporter=append-only

say "building every package"
pnpm exec turbo run build --output-logs=errors-only

say "hop3 setup: nginx, uWSGI, Nix, Docker and the toolchains; hop3 on PATH; Hop3 at boot"
# Without root it prints the exact commands to run and exits 1. From here on, `hop3` is on PATH
# (/usr/local/bin/hop3, running this checkout) unless another install of it was there first.
pnpm --silent hop3 setup --yes "${SETUP_WITH[@]}"

missing=()
for pkg in "${TEST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing what the tests and examples use: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "Not root: run  sudo apt-get install -y ${missing[*]}  and start again." >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# Debian's redis-server package starts the system service (port 6379, a default user without a
# password) when it is installed. Hop3 runs its own server (HOP3_REDIS_PORT, default 6380); the system
# one is stopped and kept from starting at boot, so no app reaches a Redis outside its ACL user.
if [[ $(id -u) -eq 0 ]] && dpkg-query -W -f='${Status}' redis-server 2>/dev/null | grep -q "install ok installed"; then
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now redis-server.service >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/redis-server ]]; then
    /etc/init.d/redis-server stop >/dev/null 2>&1 || true
    update-rc.d redis-server disable >/dev/null 2>&1 || true
  fi
fi

if $run_main_job; then
  say "deploying the specification's Flask example with hop3"
  # Its hop3.nix imports <nixpkgs>, which no channel provides here: the repository's stand-in is put in
  # the Nix store (the app's own user builds it, and may not be able to read this clone) and given
  # with NIX_PATH, as an operator gives nixpkgs. No binary cache is reachable; the examples need none.
  stand_in=$(nix-store --add test-fixtures/nixpkgs-stand-in)
  NIX_PATH="nixpkgs=$stand_in${NIX_PATH:+:$NIX_PATH}" NIX_CONFIG=$'substituters =\n' \
    hop3 deploy test-fixtures/apps/spec-flask
fi
