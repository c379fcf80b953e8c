import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { refusedWorkers } from "../src/plan.js";
import { checkNativeTarget, checkPlugins, missingPlugins, nativeCommand, type NativeWorker } from "../src/wsgi.js";
import { caught } from "./helpers.js";

const empty = mkdtempSync(join(tmpdir(), "hop3-plugins-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

/** The argv the command gives uWSGI, as a shell expands it with these variables. */
const argvOf = (command: string, env: Record<string, string>) =>
  JSON.parse(execFileSync("/bin/sh", ["-c", command.replace(/^exec \S+/, `exec ${process.execPath} -e 'console.log(JSON.stringify(process.argv.slice(1)))' --`)], { env: { PATH: "/usr/bin:/bin", ...env }, encoding: "utf8" })) as string[];
const after = (argv: readonly string[], option: string) => argv[argv.indexOf(option) + 1];

describe("wsgi workers", () => {
  it("takes Python module and callable names", () => {
    expect(checkNativeTarget("wsgi", "app:app")).toBe("app:app");
    expect(checkNativeTarget("wsgi", " mysite.wsgi:application\n")).toBe("mysite.wsgi:application");
    expect(checkNativeTarget("wsgi", "wsgi")).toBe("wsgi");
  });

  it("refuses a module with anything uWSGI or a shell would read (newline, %, ;, $, spaces)", async () => {
    for (const hostile of ["app:app\nplugin = cgi", "app:app%d", "app:app; touch /tmp/pwned", "$(id):app", "app app", "app:", ":app", "app:app()"]) {
      const error = await caught(() => checkNativeTarget("wsgi", hostile));
      expect(error.code).toBe("UWSGI_WSGI_MODULE_INVALID");
      expect(error.details.module).toBe(hostile);
    }
  });

  it("runs uWSGI's python3 plugin on $BIND_ADDRESS:$PORT, with the build's virtualenv when there is one", () => {
    const command = nativeCommand("/usr/bin/uwsgi", "wsgi", "app:app", "127.0.0.1", "/srv/app");
    expect(command).toContain("--plugin python3");
    expect(command).toContain("--module app:app");
    expect(command).toContain("--die-on-term");
    expect(command).toContain("--need-app");
    const withVenv = argvOf(command, { BIND_ADDRESS: "127.0.0.1", PORT: "8123", VIRTUAL_ENV: "/srv/app/venv 100%" });
    expect(after(withVenv, "--virtualenv")).toBe("/srv/app/venv 100%");
    expect(after(withVenv, "--http-socket")).toBe("127.0.0.1:8123");
    expect(after(withVenv, "--add-header")).toBe("Connection: close"); // nginx must not reuse a connection uWSGI closes
    expect(argvOf(command, { BIND_ADDRESS: "127.0.0.1", PORT: "8123" })).not.toContain("--virtualenv");
    expect(nativeCommand("/usr/bin/uwsgi", "wsgi", "app:app", "::1", "/srv/app")).toContain(`--http-socket '[::1]'":$PORT"`);
  });

  it("names the Debian package when the python3 plugin is missing", async () => {
    const error = await caught(() => checkPlugins("wsgi", empty));
    expect(error.code).toBe("UWSGI_PLUGIN_MISSING");
    expect(error.hint).toContain("apt-get install uwsgi-plugin-python3");
    expect(() => checkPlugins("wsgi")).not.toThrow(); // installed on this machine and in CI
  });
});

describe("rwsgi and jwsgi workers", () => {
  it("takes a rackup file inside the app, and refuses anything else", async () => {
    expect(checkNativeTarget("rwsgi", " config.ru\n")).toBe("config.ru");
    expect(checkNativeTarget("rwsgi", "app/config.ru")).toBe("app/config.ru");
    for (const hostile of ["/etc/config.ru", "../other/config.ru", "app/../../x.ru", "./config.ru", "config.rb", "config.ru; id", "$(id).ru", "conf ig.ru", "config.ru\nplugin = cgi", "%d.ru"]) {
      const error = await caught(() => checkNativeTarget("rwsgi", hostile));
      expect(error.code, hostile).toBe("UWSGI_RACK_FILE_INVALID");
    }
  });

  it("takes a Java class and method, and refuses anything else", async () => {
    expect(checkNativeTarget("jwsgi", "Hello")).toBe("Hello");
    expect(checkNativeTarget("jwsgi", "com.example.App:application")).toBe("com.example.App:application");
    for (const hostile of ["java -jar app.jar", "Outer$Inner", "App:", "1App", "App;id", "App\njvm-opt = -Dx", "App:run()"]) {
      const error = await caught(() => checkNativeTarget("jwsgi", hostile));
      expect(error.code, hostile).toBe("UWSGI_JWSGI_CLASS_INVALID");
    }
  });

  it("runs a Rack app with the rack plugin, a JVM app with the jvm and jwsgi plugins and the release on its class path", () => {
    const env = { BIND_ADDRESS: "127.0.0.1", PORT: "8124" };
    const rack = argvOf(nativeCommand("/usr/bin/uwsgi", "rwsgi", "config.ru", "127.0.0.1", "/srv/app"), env);
    expect(after(rack, "--plugin")).toBe("rack");
    expect(after(rack, "--rack")).toBe("config.ru");
    expect(after(rack, "--http-socket")).toBe("127.0.0.1:8124");
    expect(rack).not.toContain("--threads"); // Ruby's interpreter crashes on uWSGI's threads
    const jvm = argvOf(nativeCommand("/usr/bin/uwsgi", "jwsgi", "Hello", "127.0.0.1", "/srv/my app"), env);
    expect(jvm.filter((_, i) => jvm[i - 1] === "--plugin")).toEqual(["jvm", "jwsgi"]);
    expect(jvm.filter((_, i) => jvm[i - 1] === "--jvm-classpath")).toEqual(["/usr/share/java/uwsgi.jar", "/srv/my app"]);
    expect(after(jvm, "--jwsgi")).toBe("Hello");
    expect(after(jvm, "--http-socket-modifier1")).toBe("8"); // the JVM's request handler, not Python's
  });

  it.each<[NativeWorker, string[]]>([
    ["wsgi", ["uwsgi-plugin-python3"]],
    ["rwsgi", ["uwsgi-plugin-rack-ruby3.1"]],
    ["jwsgi", ["uwsgi-plugin-jvm-openjdk-17", "uwsgi-plugin-jwsgi-openjdk-17"]],
  ])("a %s worker's missing plugins name their Debian packages", (worker, packages) => {
    const [error] = missingPlugins(worker, empty);
    expect(error?.code).toBe("UWSGI_PLUGIN_MISSING");
    expect(error?.hint).toContain(`apt-get install ${packages.join(" ")}`);
    expect(error?.details.packages).toEqual(packages);
    expect(missingPlugins(worker)).toEqual([]); // installed on this machine and in CI (scripts/setup.sh)
  });

  it("says before the build every worker a deploy would refuse", () => {
    const problems = refusedWorkers({ web: "serve", rwsgi: "../x.ru", jwsgi: "Hello", worker: "tick" }, empty);
    expect(problems.map((p) => p.code)).toEqual(["UWSGI_RACK_FILE_INVALID", "UWSGI_PLUGIN_MISSING", "UWSGI_PLUGIN_MISSING"]);
    expect(refusedWorkers({ web: "serve", wsgi: "app:app", rwsgi: "config.ru", jwsgi: "Hello" })).toEqual([]);
  });
});
