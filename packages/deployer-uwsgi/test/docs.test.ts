import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { uwsgiErrorCatalog } from "@hop3/deployer-uwsgi";

const root = resolve(import.meta.dirname, "..", "..", "..");
const pkg = resolve(import.meta.dirname, "..");
const readme = readFileSync(join(pkg, "README.md"), "utf8");

describe("docs/errors", () => {
  it.each(Object.keys(uwsgiErrorCatalog))("%s has its page, saying what the code says, linked from the README", (code) => {
    const page = join(root, "docs", "errors", `${code}.md`);
    expect(existsSync(page), `docs/errors/${code}.md`).toBe(true);
    const text = readFileSync(page, "utf8");
    const info = uwsgiErrorCatalog[code as keyof typeof uwsgiErrorCatalog];
    expect(text.split("\n")[0]).toBe(`# ${code}`);
    expect(text.split("\n")[2]).toBe(info.title);
    for (const section of ["## What happened", "## Why", "## What to do", "## Example"]) expect(text, section).toContain(`\n${section}\n`);
    expect(text.replace(/\s+/g, " ")).toContain(info.hint);
    expect(text).toContain(`error[${code}]: `);
    expect(readme).toContain(`(../../docs/errors/${code}.md)`);
  });
});

describe("@hop3/deployer-uwsgi as a plugin package", () => {
  const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));

  it("depends on core only, as a peer, and says it is a Hop3 plugin", () => {
    expect(manifest.peerDependencies).toEqual({ "@hop3/core": "^0.1.0" });
    expect(manifest.devDependencies["@hop3/core"]).toBe("workspace:^");
    expect(Object.keys(manifest.dependencies ?? {}).filter((name: string) => name.startsWith("@hop3/"))).toEqual([]);
    expect(manifest.keywords).toContain("hop3-plugin");
  });

  it("imports no other plugin package and not tsyringe from its sources", () => {
    const offenders = readdirSync(join(pkg, "src"))
      .map((file) => join(pkg, "src", file))
      .filter((path) => /from "(@hop3\/(?!core")[^"]+|tsyringe)"/.test(readFileSync(path, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("documents every option in its README", () => {
    for (const option of ["uwsgi", "emperorFrequency", "startTimeoutSeconds", "stopTimeoutSeconds", "beforeRunTimeoutSeconds", "logMaxBytes", "inheritEnv"]) {
      expect(readme, option).toContain(`| \`${option}\` |`);
    }
  });
});
