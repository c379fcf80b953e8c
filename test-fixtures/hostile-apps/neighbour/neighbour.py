"""The neighbour of the hostile apps: it holds a secret in its environment (SECRET_KEY, set with
`hop3 deploy --env`) and in a file of its data directory, and must keep serving, untouched,
whatever its neighbours try."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open(os.path.join(os.environ["HOME"], "secret.txt"), "w") as secret:
    secret.write(os.environ["SECRET_KEY"])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        data = ("neighbour ok pid=%d" % os.getpid()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


ThreadingHTTPServer((os.environ.get("BIND_ADDRESS", "127.0.0.1"), int(os.environ["PORT"])), Handler).serve_forever()
