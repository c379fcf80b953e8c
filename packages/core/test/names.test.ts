import { describe, expect, it } from "vitest";
import { isValidAppName, isValidEnvName, isValidHostName, isValidWorkerName, toAppName } from "@hop3/core";

// These names reach file names, nginx and uWSGI configuration and shells: the checks are the guard.
describe("names", () => {
  it.each(["blog", "my-app", "a1", "x".repeat(63)])("accepts the app name %s", (name) => expect(isValidAppName(name)).toBe(true));
  it.each(["", "-a", "a-", "My", "a_b", "a.b", "../etc", "a b", "a;b", "a\nb", "x".repeat(64)])("refuses the app name %j", (name) =>
    expect(isValidAppName(name)).toBe(false),
  );

  it.each(["blog.localhost", "example.org", "a-b.c-d.example", "xn--bcher-kva.example"])("accepts the host %s", (host) =>
    expect(isValidHostName(host)).toBe(true),
  );
  it.each(["", "a..b", ".a", "a.", "a;b", "a b", "a{b", "a\nserver_name x", "*.example.org", "Example.org", "a/b", `${"x".repeat(64)}.org`])(
    "refuses the host %j",
    (host) => expect(isValidHostName(host)).toBe(false),
  );

  it.each(["web", "worker_1", "celery-beat"])("accepts the worker %s", (name) => expect(isValidWorkerName(name)).toBe(true));
  it.each(["", "1web", "../x", "a.b", "a b", "a\n"])("refuses the worker %j", (name) => expect(isValidWorkerName(name)).toBe(false));

  it.each(["PORT", "_X", "a1"])("accepts the variable %s", (name) => expect(isValidEnvName(name)).toBe(true));
  it.each(["", "1A", "A-B", "A B", "A=B"])("refuses the variable %j", (name) => expect(isValidEnvName(name)).toBe(false));

  it("makes a valid app name from a directory name, or none", () => {
    expect(toAppName("My_App.v2")).toBe("my-app-v2");
    expect(toAppName("--x--")).toBe("x");
    expect(toAppName("___")).toBeUndefined();
  });
});
