import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { nixPlugin } from "@hop3/builder-nix";
import { createDistribution } from "@hop3/core";
import { staticDeployerPlugin } from "@hop3/deployer-static";
import { uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { freePort, httpGet, processesUnder } from "@hop3/test-support";

// The "Deploy in a few lines" program of docs/guides/composing-a-distribution.md, taken from the
// guide as it is written and run as its own process against the real nix-build, uWSGI and nginx.
const root = resolve(import.meta.dirname, "../../..");
const guide = readFileSync(join(root, "docs/guides/composing-a-distribution.md"), "utf8");
const tsx = import.meta.resolve("tsx");
const home = mkdtempSync(join(tmpdir(), "hop3-guide-"));
// Written beside this test, so that its imports resolve to this workspace's packages.
const scriptDir = mkdtempSync(join(import.meta.dirname, ".guide-"));
let env: Record<string, string> = {};

afterAll(async () => {
  // Clean up with the same API: destroy removes the app (its user too), then the emperor and nginx it started stop.
  const hop3 = createDistribution({ plugins: [nixPlugin(), uwsgiDeployerPlugin(), staticDeployerPlugin(), nginxRouterPlugin({}, env)], env });
  for (const app of hop3.apps()) await hop3.destroy(app.name);
  const context = hop3.operationContext();
  for (const deployer of hop3.registry.deployers()) await deployer.stopService?.(context);
  await hop3.router().stop(context);
  expect(processesUnder(home)).toEqual([]);
  rmSync(scriptDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

it("deploys an app with the guide's few lines, and the app answers over HTTP", async () => {
  const block = /```ts deploy-in-a-few-lines\n([\s\S]*?)```/.exec(guide)?.[1];
  expect(block, "the guide's deploy-in-a-few-lines block").toBeDefined();
  expect(block!.split("\n").filter((line) => line.trim() !== "").length).toBeLessThanOrEqual(15);
  const script = join(scriptDir, "deploy.ts");
  writeFileSync(script, block!);
  const port = await freePort();
  env = { ...(process.env as Record<string, string>), HOP3_HOME: home, HOP3_HTTP_PORT: String(port), NIX_CONFIG: "substituters =\n", NO_COLOR: "1" };

  const app = join(root, "test-fixtures/apps/nix-web");
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ["--import", tsx, "--conditions=@hop3/source", script, app], { env, timeout: 120_000 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toBe(`nix-web is live: http://nix-web.localhost:${port}/\n`);
  expect(result.stderr).toBe(""); // core never writes on its own: progress is for the caller to render
  const answer = await httpGet(port, "nix-web.localhost");
  expect(answer.status).toBe(200);
  expect(answer.body).toContain("hello from nix-web");
});
