import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkPythonPlugin, checkWsgiModule, wsgiCommand } from "../src/wsgi.js";
import { caught } from "./helpers.js";

const empty = mkdtempSync(join(tmpdir(), "hop3-plugins-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe("wsgi workers", () => {
  it("takes Python module and callable names", () => {
    expect(checkWsgiModule("wsgi", "app:app")).toBe("app:app");
    expect(checkWsgiModule("wsgi", " mysite.wsgi:application\n")).toBe("mysite.wsgi:application");
    expect(checkWsgiModule("wsgi", "wsgi")).toBe("wsgi");
  });

  it("refuses a module with anything uWSGI or a shell would read (newline, %, ;, $, spaces)", async () => {
    for (const hostile of ["app:app\nplugin = cgi", "app:app%d", "app:app; touch /tmp/pwned", "$(id):app", "app app", "app:", ":app", "app:app()"]) {
      const error = await caught(() => checkWsgiModule("wsgi", hostile));
      expect(error.code).toBe("UWSGI_WSGI_MODULE_INVALID");
      expect(error.details.module).toBe(hostile);
    }
  });

  it("runs uWSGI's python3 plugin on $BIND_ADDRESS:$PORT, with the build's virtualenv when there is one", () => {
    const command = wsgiCommand("/usr/bin/uwsgi", "app:app", "127.0.0.1");
    expect(command).toContain("--plugin python3");
    expect(command).toContain("--module app:app");
    expect(command).toContain("--die-on-term");
    const argv = (env: Record<string, string>) =>
      JSON.parse(execFileSync("/bin/sh", ["-c", command.replace(/^exec \S+/, `exec ${process.execPath} -e 'console.log(JSON.stringify(process.argv.slice(1)))' --`)], { env: { PATH: "/usr/bin:/bin", ...env }, encoding: "utf8" })) as string[];
    const withVenv = argv({ BIND_ADDRESS: "127.0.0.1", PORT: "8123", VIRTUAL_ENV: "/srv/app/venv 100%" });
    expect(withVenv.slice(withVenv.indexOf("--virtualenv"), withVenv.indexOf("--virtualenv") + 2)).toEqual(["--virtualenv", "/srv/app/venv 100%"]);
    expect(withVenv[withVenv.indexOf("--http-socket") + 1]).toBe("127.0.0.1:8123");
    expect(withVenv[withVenv.indexOf("--add-header") + 1]).toBe("Connection: close"); // nginx must not reuse a connection uWSGI closes
    expect(argv({ BIND_ADDRESS: "127.0.0.1", PORT: "8123" })).not.toContain("--virtualenv");
    const ipv6 = wsgiCommand("/usr/bin/uwsgi", "app:app", "::1");
    expect(ipv6).toContain(`--http-socket '[::1]'":$PORT"`);
  });

  it("names the Debian package when the python3 plugin is missing", async () => {
    const error = await caught(() => checkPythonPlugin(empty));
    expect(error.code).toBe("UWSGI_PLUGIN_MISSING");
    expect(error.hint).toContain("uwsgi-plugin-python3");
    expect(() => checkPythonPlugin()).not.toThrow(); // installed on this machine and in CI
  });
});
