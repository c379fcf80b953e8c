import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPluginPackage, pluginFiles } from "../src/index.js";

// A generated plugin must type-check and pass the conformance kit as generated.
const root = resolve(import.meta.dirname, "../../..");
const out = join(import.meta.dirname, "..", ".generated", String(process.pid));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const run = (file: string, args: string[], cwd: string) =>
  new Promise<{ code: number; output: string }>((done) =>
    execFile(file, args, { cwd, env: { ...process.env, NO_COLOR: "1" }, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr }),
    ),
  );

describe("pnpm new-plugin", () => {
  it("refuses names that are not names", () => {
    expect(() => pluginFiles({ name: "Bad Name", builder: "x", marker: "x.toml" })).toThrow("not an npm package name");
    expect(() => pluginFiles({ name: "hop3-plugin-x", builder: "X", marker: "x.toml" })).toThrow('builder "X"');
    expect(() => pluginFiles({ name: "hop3-plugin-x", builder: "x", marker: "../x" })).toThrow('marker "../x"');
  });

  it("generates a package that type-checks and passes the conformance kit", async () => {
    const dir = join(out, "hop3-plugin-hugo-site");
    const files = createPluginPackage(dir, { name: "@acme/hop3-hugo-site", builder: "hugo-site", marker: "hugo.toml" });
    expect(files).toContain("src/index.ts");
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toMatchObject({ name: "@acme/hop3-hugo-site", peerDependencies: { "@hop3/core": ">=0.1.0 <1.0.0" } });
    expect(() => createPluginPackage(dir, { name: "x", builder: "x", marker: "x" })).toThrow("not empty");

    const tsc = await run(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json", "--noEmit"], dir);
    expect(tsc.code, tsc.output).toBe(0);

    const config = join(out, "vitest.config.ts");
    mkdirSync(out, { recursive: true });
    writeFileSync(config, `export default { test: { root: ${JSON.stringify(dir)}, include: ["test/**/*.test.ts"] }, resolve: { conditions: ["@hop3/source", "import", "node", "default"] }, ssr: { resolve: { conditions: ["@hop3/source", "import", "node", "default"], externalConditions: ["@hop3/source"] } } };\n`);
    const vitest = await run(join(root, "node_modules/.bin/vitest"), ["run", "--config", config, "--reporter=json"], root);
    const report = JSON.parse(vitest.output.slice(vitest.output.indexOf("{"), vitest.output.lastIndexOf("}") + 1)) as { numPassedTests: number; numFailedTests: number };
    expect(report.numFailedTests, vitest.output).toBe(0);
    // Every check runs, the half-way cancellation on the generated slow fixture included.
    expect(report.numPassedTests).toBe(7);
    expect(JSON.parse(readFileSync(join(dir, "tsconfig.json"), "utf8")).compilerOptions.experimentalDecorators).toBe(true);
  }, 300_000);

  it("answers --help, and refuses an unknown option with the usage", async () => {
    const main = join(import.meta.dirname, "../src/main.ts");
    const help = await run(process.execPath, ["--import", "tsx", main, "--help"], root);
    expect(help.code, help.output).toBe(0);
    expect(help.output).toContain("--hop3-checkout PATH");
    const bad = await run(process.execPath, ["--import", "tsx", main, "x", "--nope"], root);
    expect(bad.code).toBe(2);
  });

  // For real: npm installs the generated package against this checkout (the rest from the npm
  // registry) and runs its tests, as the guide tells plugin authors to while @hop3/* is not on npm.
  it("generates a package that installs and passes its tests against a Hop3 checkout (--hop3-checkout)", async () => {
    // The checkout's packages as built (`pnpm test` builds them first). Not rebuilt here: other
    // tests run the built program at the same time, and a build rewrites dist/ under them.
    for (const pkg of ["core", "testing"]) expect(existsSync(join(root, "packages", pkg, "dist", "index.js")), `packages/${pkg} is not built`).toBe(true);
    const dir = join(mkdtempSync(join(tmpdir(), "hop3-new-plugin-")), "hop3-plugin-demo");
    createPluginPackage(dir, { name: "hop3-plugin-demo", builder: "demo", marker: "demo.toml", hop3Checkout: root });
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).devDependencies).toMatchObject({
      "@hop3/core": `file:${join(root, "packages/core")}`,
      "@hop3/testing": `file:${join(root, "packages/testing")}`,
    });
    const install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], dir);
    expect(install.code, install.output).toBe(0);
    const test = await run("npm", ["test"], dir);
    expect(test.code, test.output).toBe(0);
    expect(test.output).toMatch(/Tests\s+7 passed/);
    rmSync(dirname(dir), { recursive: true, force: true });
  }, 300_000);
});
