import { describe, expect, it } from "vitest";
import { checkDomain } from "../../src/domain-names.js";

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
