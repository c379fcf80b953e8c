"""nix-release's web worker: 503 for its first WARMUP_SECONDS (default 0.5), then `release <id>`."""
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RELEASE = open(sys.argv[1]).read().strip()
WARM_AT = time.monotonic() + float(os.environ.get("WARMUP_SECONDS", "0.5"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        ready = RELEASE != "broken" and time.monotonic() >= WARM_AT
        body = (f"release {RELEASE}\n" if ready else "starting\n").encode()
        self.send_response(200 if ready else 503)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # quiet: the load test sends thousands of requests


# Python's default accept queue is 5: on a loaded machine it fills and connections' first packets are
# dropped (what the zero-downtime test keeps). The bench sets a server's usual size to measure latency.
ThreadingHTTPServer.request_queue_size = int(os.environ.get("LISTEN_BACKLOG", "5"))
server = ThreadingHTTPServer((os.environ["BIND_ADDRESS"], int(os.environ["PORT"])), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"nix-release {RELEASE} listening on {os.environ['PORT']}", flush=True)
server.serve_forever()
