# Run by busybox sh inside the container; every line is read by the test.
bb=/bin/busybox
echo "uid=$($bb id -u) gid=$($bb id -g)"
$bb grep '^NoNewPrivs:' /proc/self/status
for socket in /var/run/docker.sock /run/docker.sock; do
  if [ -e "$socket" ]; then echo "socket-found=$socket"; else echo "socket-absent=$socket"; fi
done
# Anywhere else: any unix socket at all (the engine's, mounted under another name).
$bb find / \( -path /proc -o -path /sys \) -prune -o -type s -print 2>/dev/null | while read -r found; do echo "socket-found=$found"; done
echo "nofile=$(ulimit -n)"
echo "LD_PRELOAD=$LD_PRELOAD"
echo "DOCKER_HOST=$DOCKER_HOST"
echo "GREETING=$GREETING"
echo "PORT=$PORT"
echo probe-done
exec $bb sleep 600
