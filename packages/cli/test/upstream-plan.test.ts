/**
 * `hop3 validate` and `hop3 plan` on every app of upstream Hop3's test apps (test-apps/ and
 * test-apps-fail/ of `../shared/compat/hop3-upstream-apps/`): each succeeds, or fails with exactly
 * the coded error that names what this distribution or host lacks, before anything is built.
 * The apps are test data, read where they lie.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtInCommands, createCli, EXIT, loadDefaultDistribution } from "@hop3/cli";
import { memoryIO } from "./memory-io.js";
import { UPSTREAM_FAILING_TEST_APPS, UPSTREAM_TEST_APPS } from "./run-hop3.js";

const home = mkdtempSync(join(tmpdir(), "hop3-upstream-plan-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const baseEnv = { HOP3_HOME: home, NO_COLOR: "1" };

async function run(command: "validate" | "plan", dir: string, env: Record<string, string> = {}) {
  const all = { ...process.env, ...baseEnv, ...env };
  const cli = createCli(() => loadDefaultDistribution(all), { name: "hop3", version: "0.0.0", commands: builtInCommands });
  const io = memoryIO(dir, all);
  const code = await cli.run([command, ".", "--json"], io);
  return { code, data: JSON.parse(io.out()) };
}

const appsOf = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory()).sort() : []);

/**
 * What each app gets here, in the default distribution: the deployer that would run it, or the
 * code of what is missing. An app whose dependencies need the network (030-golang-gin, 040-sinatra,
 * test-apps-fail/030-rack's gems, test-apps-fail/clojure's libraries) plans: only its build can find that out.
 */
const EXPECTED: Readonly<Record<string, { deployer: string } | { refused: string }>> = {
  "test-apps/000-static": { deployer: "static" },
  "test-apps/010-flask-pip-wsgi": { deployer: "uwsgi" },
  "test-apps/020-nodejs-express": { deployer: "uwsgi" },
  "test-apps/030-golang-gin": { deployer: "uwsgi" },
  "test-apps/040-sinatra": { deployer: "uwsgi" },
  "test-apps/100-flask-gunicorn-pip": { deployer: "uwsgi" },
  "test-apps/110-flask-gunicorn-poetry": { deployer: "uwsgi" },
  "test-apps/120-flask-pip-alt": { deployer: "uwsgi" },
  "test-apps/130-golang-minimal": { deployer: "uwsgi" },
  "test-apps-fail/030-rack": { deployer: "uwsgi" },
  "test-apps-fail/clojure": { deployer: "uwsgi" },
};

const apps = [...appsOf(UPSTREAM_TEST_APPS).map((name) => ["test-apps", join(UPSTREAM_TEST_APPS, name)]), ...appsOf(UPSTREAM_FAILING_TEST_APPS).map((name) => ["test-apps-fail", join(UPSTREAM_FAILING_TEST_APPS, name)])].map(
  ([folder, dir]) => [`${folder}/${dir!.split("/").at(-1)}`, dir!] as const,
);

describe("hop3 validate and hop3 plan on upstream's test apps", () => {
  it("finds every test app (in CI a missing corpus is a failure)", () => {
    expect(apps.map(([name]) => name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(apps)("%s", async (name, dir) => {
    const expected = EXPECTED[name]!;
    const plan = await run("plan", dir);
    const validate = await run("validate", dir);
    if ("deployer" in expected) {
      expect({ code: plan.code, error: plan.data.error }).toEqual({ code: EXIT.ok, error: undefined });
      expect(plan.data.checks).toMatchObject({ deployer: expected.deployer, workersChecked: true });
      expect({ code: validate.code, error: validate.data.error }).toEqual({ code: EXIT.ok, error: undefined });
      expect(validate.data.checks).toMatchObject({ deployer: expected.deployer, workersChecked: true });
    } else {
      expect({ code: plan.code, error: plan.data.error?.code }).toEqual({ code: EXIT.userError, error: expected.refused });
      // validate reads the configuration; which builder builds it is plan's to refuse: a warning.
      expect(validate.code).toBe(EXIT.ok);
      expect(validate.data.warnings).toContainEqual(expect.stringContaining(`(${expected.refused})`));
    }
  });

  it("names a toolchain's program missing on PATH before the build, with everything else it would refuse", async () => {
    const app = join(UPSTREAM_TEST_APPS, "130-golang-minimal");
    for (const command of ["plan", "validate"] as const) {
      const { code, data } = await run(command, app, { PATH: "/nonexistent" });
      expect(code).toBe(EXIT.userError);
      expect(data.error).toMatchObject({ code: "LOCAL_TOOL_MISSING", details: { toolchain: "go", program: "go" } });
      expect(data.error.hint).toContain("apt-get install golang-go");
      expect(data.error.details.problems.map((p: { code: string }) => p.code)).toEqual(["LOCAL_TOOL_MISSING", "UWSGI_NOT_INSTALLED"]);
    }
  });
});
