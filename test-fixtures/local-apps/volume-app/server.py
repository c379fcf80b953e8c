"""Writes to and reads from its volume (data/store), and says where it is and which release runs."""
import http.server, os, urllib.parse

STORE = os.path.join("data", "store")
NOTE = os.path.join(STORE, "note.txt")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/":
            body = f"hello from volume-app, VOLUME {'OK' if os.path.isdir(STORE) else 'MISSING'}\n"
        elif url.path == "/config":
            body = os.path.realpath(STORE) + "\n"
        elif url.path == "/release":
            body = os.path.basename(os.getcwd()) + "\n"
        elif url.path == "/write":
            with open(NOTE, "w") as note:
                note.write(query.get("text", [""])[0])
            body = "WROTE\n"
        elif url.path == "/read":
            body = open(NOTE).read() if os.path.exists(NOTE) else "MISSING"
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((os.environ.get("BIND_ADDRESS", "127.0.0.1"), int(os.environ["PORT"])), Handler).serve_forever()
