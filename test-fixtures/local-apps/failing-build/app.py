import http.server, os, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from python-empty-reqs (venv: {os.environ.get('VIRTUAL_ENV', '')}, python: {sys.prefix})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer((os.environ.get("BIND_ADDRESS", "127.0.0.1"), int(os.environ["PORT"])), Handler).serve_forever()
