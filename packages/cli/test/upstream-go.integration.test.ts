/**
 * The original Hop3's `130-golang-minimal` (`../shared/compat/hop3-upstream-apps/`, next to the
 * repository: a `server.go` with no go.mod, Procfile `web: go run server.go`), deployed unchanged
 * through the real `hop3 deploy`, uWSGI and nginx, and checked as its upstream check does: GET /
 * succeeds and says "Hello world!". The corpus is test data, read where it lies.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, hop3, httpGet, UPSTREAM_TEST_APPS } from "./run-hop3.js";

const app = join(UPSTREAM_TEST_APPS, "130-golang-minimal");
const present = existsSync(app);

// CI has the corpus: there a missing corpus is a failure, never a skip.
if (!present && process.env.CI) {
  describe("upstream 130-golang-minimal", () => {
    it("is present next to the repository", () => {
      expect.fail(`${app} is missing; CI must deploy the upstream Go app.`);
    });
  });
} else if (!present) {
  console.warn(`Skipping the upstream Go app: ${app} is not there.`);
}

const home = mkdtempSync(join(tmpdir(), "hop3-upgo-"));
let env: Record<string, string> = {};

function processesOfHome(): string[] {
  try {
    return execFileSync("pgrep", ["-af", home], { encoding: "utf8" }).split("\n").filter((line) => line.trim() !== "");
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

afterAll(async () => {
  if (!present) return;
  await hop3(["destroy", "130-golang-minimal", "--yes"], env);
  await hop3(["server", "stop"], env);
  expect(processesOfHome()).toEqual([]);
  rmSync(home, { recursive: true, force: true });
});

describe.runIf(present)("upstream 130-golang-minimal", () => {
  it("deploys unchanged with the Local builder, and `go run server.go` answers through nginx", async () => {
    const port = await freePort();
    env = { HOP3_HOME: home, HOP3_HTTP_PORT: String(port) };
    const result = await hop3(["deploy", app, "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    const data = result.json<{ app: string; builder: string; artifact: { kind: string }; status: string }>();
    expect(data).toMatchObject({ app: "130-golang-minimal", builder: "local", artifact: { kind: "go" }, status: "running" });
    const page = await httpGet(port, "130-golang-minimal.localhost", "/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("Hello world!");
  });
});
