import { describe, expect, it } from "vitest";
import { iniPath, isIniSafePath } from "@hop3/deployer-uwsgi";
import { caught } from "./helpers.js";

describe("iniPath", () => {
  it("passes ordinary absolute paths through", () => {
    expect(iniPath("/var/lib/hop3/apps/blog/logs/web.1.log", "log")).toBe("/var/lib/hop3/apps/blog/logs/web.1.log");
    expect(iniPath("/home/user/.local/share/hop3+test/a_b-c@d:e~f", "home")).toBe("/home/user/.local/share/hop3+test/a_b-c@d:e~f");
  });

  it("doubles %, which uWSGI reads as a placeholder", () => {
    expect(iniPath("/tmp/h3uw-%d%n-x/uwsgi", "home")).toBe("/tmp/h3uw-%%d%%n-x/uwsgi");
    expect(iniPath("/tmp/100%%", "home")).toBe("/tmp/100%%%%");
  });

  it.each([
    ["a newline", "/tmp/a\n[uwsgi]\nattach-daemon = touch /tmp/x", "a newline"],
    ["a carriage return", "/tmp/a\rb", "a carriage return"],
    ["a comma (attach-daemon2 splits on it)", "/tmp/a,stopsignal=9", '","'],
    ["an environment reference", "/tmp/$(HOME)", '"$"'],
    ["a file inclusion", "/tmp/@(/etc/passwd)", '"("'],
    ["a double quote", '/tmp/a"b', '"""'],
    ["a single quote", "/tmp/a'b", `"'"`],
    ["a semicolon", "/tmp/a;b", '";"'],
    ["a hash", "/tmp/a#b", '"#"'],
    ["a space", "/tmp/a b", "a space"],
    ["an equals sign", "/tmp/a=b", '"="'],
    ["a control character", "/tmp/a\x1bb", "the control character U+001b"],
    ["nothing", "", "nothing (it is empty)"],
  ])("refuses a path holding %s with UWSGI_PATH_UNSAFE naming it", async (_what, path, described) => {
    expect(isIniSafePath(path)).toBe(false);
    const error = await caught(() => iniPath(path, "HOP3_HOME"));
    expect(error.code).toBe("UWSGI_PATH_UNSAFE");
    expect(error.message).toContain(`contains ${described}`);
    expect(error.message).toMatch(/^HOP3_HOME "/);
    expect(error.hint).toMatch(/letters, digits/);
  });
});
