import http.server, os

PAGE = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist", "index.html")).read()

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from python-node (python back end)\n{PAGE}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer((os.environ.get("BIND_ADDRESS", "127.0.0.1"), int(os.environ["PORT"])), Handler).serve_forever()
