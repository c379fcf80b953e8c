import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { publishedPackages, ROOT, satisfies, workspacePackages, type Manifest } from "../src/index.js";

const published = publishedPackages();

describe("published packages", () => {
  it("are every @hop3 package but the private tools", () => {
    expect(published.map((p) => p.manifest.name).sort()).toEqual([
      "@hop3/addon-postgres",
      "@hop3/addon-redis",
      "@hop3/builder-docker",
      "@hop3/builder-local",
      "@hop3/builder-nix",
      "@hop3/cli",
      "@hop3/cli-kit",
      "@hop3/core",
      "@hop3/deployer-static",
      "@hop3/deployer-swarm",
      "@hop3/deployer-uwsgi",
      "@hop3/distribution-nix",
      "@hop3/remote",
      "@hop3/router-nginx",
      "@hop3/server-setup",
      "@hop3/ssh-access",
      "@hop3/testing",
      "@hop3/tls",
    ]);
  });

  // publint --strict (each package's `lint`) checks the built manifest; these are the house rules on top.
  it.each(published.map((p) => [p.manifest.name, p] as const))("%s has a README, engines, files, repository.directory and types-first exports", (name, { dir, manifest }) => {
    const readme = join(ROOT, dir, "README.md");
    expect(existsSync(readme), `${dir}/README.md`).toBe(true);
    expect(readFileSync(readme, "utf8")).toContain(name);
    expect(manifest.repository).toMatchObject({ directory: dir });
    expect(manifest.engines).toEqual({ node: ">=20.19" });
    // The Swarm deployer also ships the source of hop3-run, the program it builds into app images.
    expect(manifest.files).toEqual(name === "@hop3/deployer-swarm" ? ["dist", "runner"] : ["dist"]);
    expect(manifest.type).toBe("module");
    const root = (manifest.exports as Record<string, Record<string, string>>)["."]!;
    expect(Object.keys(root).filter((condition) => condition !== "@hop3/source")).toEqual(["types", "default"]);
    expect(manifest.license).toBeDefined();
  });
});

describe("pnpm changeset version", () => {
  const copy = mkdtempSync(join(tmpdir(), "hop3-changesets-"));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("gives consistent versions: every internal range still holds, and no package leaves 0.x", () => {
    // A copy of what changesets reads: the manifests, the workspace file and the pending changesets.
    for (const file of ["package.json", "pnpm-workspace.yaml", ".changeset"]) cpSync(join(ROOT, file), join(copy, file), { recursive: true });
    for (const { dir } of workspacePackages()) {
      mkdirSync(join(copy, dir), { recursive: true });
      cpSync(join(ROOT, dir, "package.json"), join(copy, dir, "package.json"));
    }
    execFileSync("git", ["init", "-q"], { cwd: copy });
    execFileSync(join(ROOT, "node_modules/.bin/changeset"), ["version"], { cwd: copy, stdio: "pipe", timeout: 60_000 });

    const after = new Map<string, { dir: string; manifest: Manifest }>();
    for (const { dir } of workspacePackages()) {
      const manifest = JSON.parse(readFileSync(join(copy, dir, "package.json"), "utf8")) as Manifest;
      after.set(manifest.name, { dir, manifest });
    }
    const problems: string[] = [];
    for (const [name, { manifest }] of after) {
      if (!manifest.private && !manifest.version.startsWith("0.")) problems.push(`${name} went to ${manifest.version}`);
      for (const field of ["dependencies", "peerDependencies", "devDependencies"] as const) {
        for (const [dep, range] of Object.entries((manifest[field] as Record<string, string> | undefined) ?? {})) {
          const target = after.get(dep);
          if (!target || range.startsWith("workspace:")) continue; // pnpm writes the new version at pack time
          if (!satisfies(target.manifest.version, range)) problems.push(`${name} ${field} ${dep}@${range} does not take ${target.manifest.version}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // Every pending changeset was consumed into a changelog.
    const left = execFileSync("ls", [join(copy, ".changeset")], { encoding: "utf8" }).split("\n").filter((f) => f.endsWith(".md") && f !== "README.md");
    expect(left).toEqual([]);
    for (const { dir, manifest } of published) {
      const bumped = after.get(manifest.name)!.manifest.version !== manifest.version;
      if (bumped) expect(existsSync(join(copy, dir, "CHANGELOG.md")), `${dir}/CHANGELOG.md`).toBe(true);
    }
    expect(dirname(copy)).toBe(tmpdir());
  });
});

describe("satisfies", () => {
  it.each([
    ["0.1.3", "^0.1.0", true],
    ["0.2.0", "^0.1.0", false],
    ["1.4.0", "^1.2.0", true],
    ["0.2.0", ">=0.1.0 <1.0.0", true],
    ["1.0.0", ">=0.1.0 <1.0.0", false],
    ["0.1.0", "0.1.0", true],
  ])("%s in %s: %s", (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });
});
