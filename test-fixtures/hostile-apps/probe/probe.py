"""A hostile app's web worker for Hop3's isolation tests (Python standard library only).

Each request tries one thing an app must not be able to do, and answers with what happened:
    GET /                      "probe ok pid=<pid>"
    GET /whoami                uid, gid, groups, capabilities, no_new_privs, cgroups of this process
    GET /read?path=P           "OK <bytes>\\n<content>" or "ERR <what the system said>"
    GET /list?path=P           "OK\\n<names>" or "ERR ..."
    GET /write?path=P          "OK" (it wrote) or "ERR ..."
    GET /find?needle=N&root=R  walks R and /proc/*/environ, /proc/*/cmdline: "FOUND <count>\\n<where>"
    GET /forkbomb?seconds=S    forks until the system refuses: "FORKED <count> <how it ended>"
    GET /alloc?mb=N            allocates and touches N MiB (the memory limit should kill it first)
    GET /burst?mb=N            writes N MiB to stdout as fast as it can: "WROTE <mb>"
"""
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def status_lines():
    with open("/proc/self/status") as status:
        keep = ("Uid:", "Gid:", "Groups:", "CapEff:", "CapPrm:", "NoNewPrivs:")
        lines = [line.strip() for line in status if line.startswith(keep)]
    with open("/proc/self/cgroup") as cgroup:
        lines += ["cgroup " + line.strip() for line in cgroup]
    return "\n".join(lines)


def read(path):
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
        return "OK %d\n%s" % (len(data), data.decode("utf8", "replace"))
    except OSError as error:
        return "ERR %s" % error


def listing(path):
    try:
        return "OK\n" + "\n".join(sorted(os.listdir(path)))
    except OSError as error:
        return "ERR %s" % error


def write(path):
    try:
        with open(path, "a") as f:
            f.write("written by a hostile app\n")
        return "OK"
    except OSError as error:
        return "ERR %s" % error


def find(needle, root):
    found = []
    needle_bytes = needle.encode()
    for directory, _dirs, files in os.walk(root, onerror=lambda _e: None):
        for name in files:
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as f:
                    if needle_bytes in f.read(4 << 20):
                        found.append(path)
            except OSError:
                pass
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        for what in ("environ", "cmdline"):
            try:
                with open("/proc/%s/%s" % (pid, what), "rb") as f:
                    if needle_bytes in f.read():
                        found.append("/proc/%s/%s" % (pid, what))
            except OSError:
                pass
    return "FOUND %d\n%s" % (len(found), "\n".join(found))


def forkbomb(seconds):
    count = 0
    ended = "stopped at 100000"
    deadline = time.time() + seconds
    while count < 100000:
        try:
            pid = os.fork()
        except OSError as error:
            ended = "refused: %s" % error
            break
        if pid == 0:
            # Each child sleeps until the deadline, then leaves: the bomb ends by itself.
            time.sleep(max(0.0, deadline - time.time()))
            os._exit(0)
        count += 1
    return "FORKED %d %s" % (count, ended)


def alloc(mb):
    block = bytearray(mb * 1024 * 1024)
    for index in range(0, len(block), 4096):
        block[index] = 1
    return "ALLOCATED %d" % mb


def burst(mb):
    line = ("x" * 1023 + "\n").encode()
    for _ in range(mb * 1024):
        sys.stdout.buffer.write(line)
    sys.stdout.flush()
    return "WROTE %d" % mb


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/whoami":
            body = status_lines()
        elif url.path == "/read":
            body = read(query["path"])
        elif url.path == "/list":
            body = listing(query["path"])
        elif url.path == "/write":
            body = write(query["path"])
        elif url.path == "/find":
            body = find(query["needle"], query.get("root", "/"))
        elif url.path == "/forkbomb":
            body = forkbomb(float(query.get("seconds", "10")))
        elif url.path == "/alloc":
            body = alloc(int(query["mb"]))
        elif url.path == "/burst":
            body = burst(int(query["mb"]))
        else:
            body = "probe ok pid=%d" % os.getpid()
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer((os.environ.get("BIND_ADDRESS", "127.0.0.1"), int(os.environ["PORT"])), Handler).serve_forever()
