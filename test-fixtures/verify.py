#!/usr/bin/python3
"""Prove the Nix test fixtures against the real nix-build (no mocks).

    /usr/bin/python3 test-fixtures/verify.py [NAME ...]

For every app under apps/: build it the way the product does
(`cd APPDIR && nix-build hop3.nix -A package --no-out-link [-I ...]`, the -I
entries coming from hop3.toml's [nix] include), read $out/hop3/runtime.json,
read `env` with `nix-instantiate --eval --strict --json hop3.nix -A env`, and
compare workers, kind, merged env and path with expect.json.  Then start every
worker with `sh -c COMMAND` (runtime.json path prepended to PATH, merged env
exported, PORT/BIND_ADDRESS set), GET expect.http.path with curl on the web
worker, check the body, and stop what it started.

For every app under broken/: build it, classify the failure the way the
product is expected to, and compare with expect.json's code and message.

Exit status 0 only when every fixture behaved as its expect.json says.
Python standard library only (tomllib needs Python 3.11: Debian 12's python3).
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
NIX_ENV = dict(os.environ, NIX_CONFIG="substituters =\n")


def includes(app: Path) -> list[str]:
    toml = app / "hop3.toml"
    if not toml.exists():
        return []
    data = tomllib.loads(toml.read_text())
    args = []
    for entry in data.get("nix", {}).get("include", []):
        args += ["-I", entry]
    return args


def nix_build(app: Path):
    cmd = ["nix-build", "hop3.nix", "-A", "package", "--no-out-link", *includes(app)]
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=app, env=NIX_ENV, capture_output=True, text=True)
    lines = p.stdout.strip().splitlines()
    return p.returncode, (lines[-1] if lines else ""), p.stderr, time.monotonic() - t0


def nix_env(app: Path) -> dict:
    cmd = ["nix-instantiate", "--eval", "--strict", "--json", "hop3.nix", "-A", "env", *includes(app)]
    p = subprocess.run(cmd, cwd=app, env=NIX_ENV, capture_output=True, text=True)
    if p.returncode != 0:
        if "attribute 'env' in selection path 'env' not found" in p.stderr:
            return {}
        raise RuntimeError(f"reading env failed: {p.stderr.strip()}")
    return json.loads(p.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: str, env: dict, log: Path):
    out = open(log, "wb")
    return subprocess.Popen(["sh", "-c", command], env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd="/tmp")


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def curl(url: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        p = subprocess.run(["curl", "-sS", "-f", "--max-time", "2", url], capture_output=True, text=True)
        if p.returncode == 0:
            return p.stdout
        if time.monotonic() > deadline:
            raise RuntimeError(f"GET {url} failed: {p.stderr.strip()}")
        time.sleep(0.1)


def check_app(app: Path) -> list[str]:
    expect = json.loads((app / "expect.json").read_text())
    problems = []
    rc, out, err, secs = nix_build(app)
    if rc != 0 or not out:
        return [f"nix-build failed (rc={rc}): {err.strip()[-2000:]}"]
    print(f"  built in {secs:.2f}s: {out}")
    runtime = json.loads((Path(out) / "hop3" / "runtime.json").read_text())
    workers = runtime.get("workers", {})
    if sorted(workers) != sorted(expect["workers"]):
        problems.append(f"workers {sorted(workers)} != {sorted(expect['workers'])}")
    kind = "static" if set(workers) == {"static"} else "nix"
    if kind != expect["kind"]:
        problems.append(f"kind {kind} != {expect['kind']}")
    # Precedence: runtime.json env overrides hop3.nix env on the same key.
    merged = {**nix_env(app), **runtime.get("env", {})}
    if merged != expect["env"]:
        problems.append(f"env {merged} != {expect['env']}")
    paths = runtime.get("path", [])
    if bool(paths) != expect["path"]:
        problems.append(f"path {paths} but expected path={expect['path']}")
    for p in paths:
        if not Path(p).is_dir():
            problems.append(f"path entry {p} is not a directory")

    http = expect.get("http")
    if "static" in workers:
        d = Path(workers["static"])
        if not d.is_dir():
            problems.append(f"static dir {d} missing")
        elif http and http["path"] == "/":
            body = (d / "index.html").read_text()
            if http["contains"] not in body:
                problems.append(f"index.html lacks {http['contains']!r}")
            else:
                print(f"  static {d}/index.html contains {http['contains']!r}")

    procs = {}
    try:
        port = free_port()
        env = dict(os.environ)
        env.update({k: str(v) for k, v in merged.items()})
        env.update(PORT=str(port), BIND_ADDRESS="127.0.0.1",
                   PATH=":".join([*paths, env.get("PATH", "/usr/bin:/bin")]))
        for name, command in workers.items():
            if name == "static":
                continue
            procs[name] = start(command, env, Path(f"/tmp/hop3-fixture-{app.name}-{name}.log"))
        if "web" in workers:
            body = curl(f"http://127.0.0.1:{port}{http['path']}")
            if http["contains"] not in body:
                problems.append(f"GET {http['path']} lacks {http['contains']!r}: {body!r}")
            else:
                print(f"  web on :{port} GET {http['path']} contains {http['contains']!r}")
            health = curl(f"http://127.0.0.1:{port}/health")
            if health.strip() != "ok":
                problems.append(f"/health answered {health!r}")
        time.sleep(1.5 if len(procs) > 1 else 0)
        for name, proc in procs.items():
            if proc.poll() is not None:
                log = Path(f"/tmp/hop3-fixture-{app.name}-{name}.log").read_text()
                problems.append(f"worker {name} exited ({proc.returncode}): {log[-500:]}")
            elif name != "web":
                log = Path(f"/tmp/hop3-fixture-{app.name}-{name}.log").read_text()
                print(f"  worker {name} running, output so far: {log.strip().splitlines()[:2]}")
    finally:
        for proc in procs.values():
            stop(proc)
    return problems


def classify(app: Path):
    """What the product should report for this app: (code, message) or None."""
    rc, out, err, _ = nix_build(app)
    if rc != 0:
        if "error: syntax error, " in err:
            code = "NIX_SYNTAX_ERROR"
        elif "attribute 'package' in selection path 'package' not found" in err:
            code = "NIX_PACKAGE_ATTRIBUTE_MISSING"
        elif "error: builder for '" in err:
            code = "NIX_BUILD_FAILED"
        else:
            code = "NIX_EVALUATION_ERROR"
        return code, err
    rj = Path(out) / "hop3" / "runtime.json"
    if not rj.exists():
        return "NIX_RUNTIME_JSON_MISSING", f"{out} has no hop3/runtime.json"
    try:
        runtime = json.loads(rj.read_text())
    except json.JSONDecodeError as e:
        return "RUNTIME_JSON_NOT_JSON", f"{rj} is not valid JSON: {e}"
    if not isinstance(runtime, dict) or not isinstance(runtime.get("workers"), dict) or not runtime["workers"]:
        return "RUNTIME_JSON_WORKERS_MISSING", f"{rj} has no \"workers\" object"
    static = runtime["workers"].get("static")
    if static is not None and not Path(static).is_dir():
        return "RUNTIME_JSON_STATIC_DIR_MISSING", f"static directory {static} does not exist"
    return None


def check_broken(app: Path) -> list[str]:
    expect = json.loads((app / "expect.json").read_text())
    got = classify(app)
    if got is None:
        return ["no failure detected"]
    code, message = got
    problems = []
    if code != expect["code"]:
        problems.append(f"code {code} != {expect['code']}")
    if expect["message"] not in message:
        problems.append(f"message lacks {expect['message']!r}: {message[-1000:]!r}")
    if not problems:
        print(f"  {code}: message contains {expect['message']!r}")
    return problems


def main(names):
    failures = 0
    checked = 0
    for kind, check in (("apps", check_app), ("broken", check_broken)):
        for app in sorted(p for p in (ROOT / kind).iterdir() if p.is_dir()):
            if names and app.name not in names:
                continue
            print(f"{kind}/{app.name}")
            checked += 1
            try:
                problems = check(app)
            except Exception as e:  # report and go on with the next fixture
                problems = [f"{type(e).__name__}: {e}"]
            for problem in problems:
                print(f"  FAIL {problem}")
            failures += bool(problems)
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
