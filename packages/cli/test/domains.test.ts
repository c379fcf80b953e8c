import { describe, expect, it } from "vitest";
import { checkDomain } from "../src/commands/domains.js";
import { asWriteFailure } from "../src/errors.js";

describe("checkDomain", () => {
  it.each(["blog.example.org", "example.org", "a-b.c0.example", "x", `${"a".repeat(63)}.org`])("accepts %j", (host) => {
    expect(checkDomain("blog", host)).toBe(host);
  });

  it.each([
    ["", "labels"],
    ["blog.example.org;", "labels"],
    ["a b.org", "labels"],
    ["a.org\nserver_name b.org", "labels"],
    ["../x", "labels"],
    ["*.example.org", "labels"],
    ["-a.org", "labels"],
    ["a.org.", "labels"],
    ["a.org:8080", "labels"],
    [`${"a".repeat(64)}.org`, "labels"],
    ["Blog.Example.org", "lowercase (blog.example.org)"],
    ["localhost", ".localhost"],
    ["other.localhost", ".localhost"],
  ])("refuses %j with DOMAIN_INVALID", (host, why) => {
    let caught: unknown;
    try {
      checkDomain("blog", host);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "DOMAIN_INVALID", details: { app: "blog", host } });
    expect((caught as Error).message).toContain(why);
  });
});

describe("asWriteFailure", () => {
  const errno = (code: string, syscall: string, path?: string) => Object.assign(new Error(`${code}: something, ${syscall}`), { code, syscall, ...(path && { path }) });

  it("turns a full disk, a read-only mount or a refused write into STATE_WRITE_FAILED naming the file", () => {
    expect(asWriteFailure(errno("ENOSPC", "write"))).toMatchObject({ code: "STATE_WRITE_FAILED", details: { errno: "ENOSPC", syscall: "write" } });
    expect(asWriteFailure(errno("EROFS", "open", "/srv/hop3/apps/blog/lock"))).toMatchObject({
      code: "STATE_WRITE_FAILED",
      message: expect.stringContaining("/srv/hop3/apps/blog/lock"),
      details: { path: "/srv/hop3/apps/blog/lock" },
    });
  });

  it("leaves other errors alone: bugs stay bugs", () => {
    const bug = new TypeError("x is undefined");
    expect(asWriteFailure(bug)).toBe(bug);
    const kill = errno("EPERM", "kill");
    expect(asWriteFailure(kill)).toBe(kill);
    const missing = errno("ENOENT", "open", "/nope");
    expect(asWriteFailure(missing)).toBe(missing);
  });
});
