import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeConfig } from "../../src/app.js";
import { checkDomain } from "../../src/domain-names.js";
import { parseHop3Toml } from "../../src/formats/hop3-toml.js";
import { writeAppRecord } from "../../src/pipeline/app-record.js";
import { checkDomainsFree, domainsAfterDeploy } from "../../src/pipeline/domains.js";

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

describe("hop3.toml [domains]", () => {
  const config = (toml: string) => normalizeConfig(parseHop3Toml(toml, "hop3.toml"), { entries: [] }, { hop3Toml: "/app/hop3.toml" }, toml);

  it("reads the list (duplicates once) and the policy, keep-existing by default, with no warning", () => {
    const read = config('[domains]\nlist = ["shop.example.org", "www.shop.example.org", "shop.example.org"]\n');
    expect(read.domains).toEqual({ list: ["shop.example.org", "www.shop.example.org"], policy: "keep-existing" });
    expect(read.warnings.join("\n")).not.toContain("[domains]");
    expect(config('[domains]\nlist = ["a.example.org"]\n_policy = "override"\n').domains?.policy).toBe("override");
    expect(config("").domains).toBeUndefined();
  });

  it.each(["x.localhost", "Shop.example.org", "a.org\nserver_name evil.org", "a.org;"])("refuses %j with DOMAIN_INVALID, naming the file and line", (host) => {
    const toml = `[app]\nname = "shop"\n\n[domains]\nlist = [${JSON.stringify(host)}]\n`;
    let caught: unknown;
    try {
      config(toml);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "DOMAIN_INVALID", details: { file: "/app/hop3.toml", line: 5, host } });
  });
});

describe("domainsAfterDeploy", () => {
  const declared = (list: string[], policy: "keep-existing" | "override" = "keep-existing") => ({ list, policy });

  it("keeps names added by hand beside the declared ones, and drops names the previous hop3.toml declared and this one does not", () => {
    const previous = { domains: ["by-hand.example.org", "old.example.org", "kept.example.org"], declaredDomains: ["old.example.org", "kept.example.org"] };
    expect(domainsAfterDeploy(previous, declared(["kept.example.org", "new.example.org"]))).toEqual(["by-hand.example.org", "kept.example.org", "new.example.org"]);
    expect(domainsAfterDeploy(previous, undefined)).toEqual(["by-hand.example.org"]);
    expect(domainsAfterDeploy(undefined, declared(["a.example.org"]))).toEqual(["a.example.org"]);
  });

  it("gives exactly the declared names under the override policy", () => {
    expect(domainsAfterDeploy({ domains: ["by-hand.example.org"] }, declared(["a.example.org"], "override"))).toEqual(["a.example.org"]);
  });
});

describe("checkDomainsFree", () => {
  it("refuses a name another app's record has, routed or not, with DOMAIN_TAKEN naming it", () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-domains-"));
    try {
      writeAppRecord(home, { name: "bank", source: "/src", appEnv: {}, userEnv: {}, scale: {}, domains: ["bank.example.org"] });
      expect(() => checkDomainsFree(home, "shop", ["shop.example.org"])).not.toThrow();
      expect(() => checkDomainsFree(home, "bank", ["bank.example.org"])).not.toThrow();
      let caught: unknown;
      try {
        checkDomainsFree(home, "shop", ["shop.example.org", "bank.example.org"]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: "DOMAIN_TAKEN", details: { app: "shop", host: "bank.example.org", otherApp: "bank" } });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
