"""pg-notes: writes and reads rows of its PostgreSQL database through DATABASE_URL (with psql, no driver).

GET /write?text=T  inserts a note      GET /read  lists the notes, one a line
GET /env           what the app was given (DATABASE_URL's user and database, NOTES_DB_HOST)
GET /steal?db=D    tries its own credentials on another database: "refused: ..." or "read: ..."
"""
import os
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PSQL = "/usr/lib/postgresql/15/bin/psql"


def psql(sql, url=None, **variables):
    args = [PSQL, url or os.environ["DATABASE_URL"], "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    for key, value in variables.items():
        args += ["-v", f"{key}={value}"]
    result = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=20)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    return result.stdout.strip()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        try:
            if url.path == "/write":
                psql("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, text text NOT NULL);"
                     "INSERT INTO notes (text) VALUES (:'text');", text=query["text"][0])
                body = "written"
            elif url.path == "/read":
                body = psql("SELECT text FROM notes ORDER BY id;")
            elif url.path == "/env":
                body = f"user={os.environ['PGUSER']} database={os.environ['PGDATABASE']} host={os.environ.get('NOTES_DB_HOST')} uid={os.getuid()}"
            elif url.path == "/steal":
                other = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + query["db"][0]
                try:
                    body = "read: " + psql("SELECT text FROM notes;", url=other)
                except RuntimeError as error:
                    body = f"refused: {error}"
            else:
                body = "pg-notes"
            status = 200
        except Exception as error:  # the test reads the reason
            body, status = f"error: {error}", 500
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((os.environ.get("BIND_ADDRESS", "127.0.0.1"), int(os.environ["PORT"])), Handler).serve_forever()
