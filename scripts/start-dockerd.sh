#!/bin/sh
# Starts a private Docker engine for Hop3's tests and CI, and prints how to reach it:
#   eval "$(scripts/start-dockerd.sh)"    # sets DOCKER_HOST=unix://.../docker.sock
# Idempotent: when an engine already answers on the socket, it only prints the export line.
# Storage is vfs (works on any filesystem, including overlay roots); the default bridge is kept so
# `docker run -p 127.0.0.1:HOSTPORT:PORT` works (dockerd then adds iptables rules and enables
# ip_forward on this machine). Needs root and Debian's docker.io. Stop it with:
#   kill -TERM "$(cat "$HOP3_DOCKERD_DIR/dockerd.pid")"
# Environment: HOP3_DOCKERD_DIR (default ${TMPDIR:-/tmp}/hop3-dockerd), HOP3_DOCKERD_WAIT (seconds, default 60).
set -eu

dir=${HOP3_DOCKERD_DIR:-${TMPDIR:-/tmp}/hop3-dockerd}
wait_seconds=${HOP3_DOCKERD_WAIT:-60}
sock="$dir/docker.sock"
host="unix://$sock"

fail() {
  echo "start-dockerd: $*" >&2
  exit 1
}

answers() {
  DOCKER_HOST=$host timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

command -v docker >/dev/null 2>&1 || fail "the docker CLI is not installed (apt-get install docker.io)"
if answers; then
  echo "export DOCKER_HOST=$host"
  exit 0
fi

dockerd=$(command -v dockerd || true)
[ -n "$dockerd" ] || fail "dockerd is not installed (apt-get install docker.io)"
[ "$(id -u)" = 0 ] || fail "dockerd must run as root (this is uid $(id -u))"

mkdir -p "$dir/data" "$dir/exec" || fail "cannot create $dir"
# Test files start in parallel: one starts the engine, the others wait for it to answer.
exec 9>"$dir/start.lock"
flock 9
if answers; then
  echo "export DOCKER_HOST=$host"
  exit 0
fi
# A socket or pid file left by an engine that died would make dockerd refuse to start.
if [ -f "$dir/dockerd.pid" ] && ! kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; then rm -f "$dir/dockerd.pid"; fi
[ -f "$dir/dockerd.pid" ] || rm -f "$sock"

# setsid: the engine must outlive the shell (and test process) that started it.
setsid "$dockerd" \
  --storage-driver vfs \
  --data-root "$dir/data" \
  --exec-root "$dir/exec" \
  --pidfile "$dir/dockerd.pid" \
  -H "$host" \
  >"$dir/dockerd.log" 2>&1 </dev/null 9>&- &

elapsed=0
until answers; do
  if [ "$elapsed" -ge "$wait_seconds" ]; then
    echo "start-dockerd: the engine did not answer on $sock within ${wait_seconds} s; last lines of $dir/dockerd.log:" >&2
    tail -n 20 "$dir/dockerd.log" >&2 || true
    exit 1
  fi
  kill -0 "$!" 2>/dev/null || { echo "start-dockerd: dockerd exited; last lines of $dir/dockerd.log:" >&2; tail -n 20 "$dir/dockerd.log" >&2; exit 1; }
  sleep 1
  elapsed=$((elapsed + 1))
done
echo "export DOCKER_HOST=$host"
