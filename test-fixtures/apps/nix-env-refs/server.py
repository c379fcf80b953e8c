"""Tiny HTTP server used by the Hop3 Nix test fixtures (Python standard library only).

Run by the fixture's web worker with the host's /usr/bin/python3:
    server.py --name NAME --host $BIND_ADDRESS --port $PORT [--show-env VAR ...]

GET /health  -> 200 "ok"
GET <other>  -> 200, text/plain, lines:
    hello from NAME
    path: <request path>
    env: VAR=value VAR=value ...            (only with --show-env; VARs in the order given)
    {"name": "<header>", "value": "<value>"}   one JSON line per request header, in received order
"""
import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--host", default=os.environ.get("BIND_ADDRESS") or "127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("PORT", ""))
    parser.add_argument("--show-env", action="append", default=[])
    args = parser.parse_args()
    if not str(args.port).isdigit():
        sys.exit(f"{args.name}: no usable port (got {args.port!r}); set PORT or pass --port")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] == "/health":
                body = "ok\n"
            else:
                lines = [f"hello from {args.name}", f"path: {self.path}"]
                if args.show_env:
                    pairs = " ".join(f"{k}={os.environ.get(k, '')}" for k in args.show_env)
                    lines.append(f"env: {pairs}")
                for name, value in self.headers.items():
                    lines.append(json.dumps({"name": name, "value": value}))
                body = "\n".join(lines) + "\n"
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *fargs):
            sys.stderr.write(f"{args.name}: {self.address_string()} {fmt % fargs}\n")

    server = ThreadingHTTPServer((args.host, int(args.port)), Handler)
    sys.stderr.write(f"{args.name}: listening on {args.host}:{args.port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
