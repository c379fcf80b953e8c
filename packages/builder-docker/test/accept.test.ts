import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDistribution, loadApp } from "@hop3/core";
import { createDockerBuilder, dockerPlugin, resolveDockerOptions } from "../src/index.js";

/** A directory with a fake `docker` that records being run: accept must never run it. */
function fakeDockerPath(): { path: string; ran: string } {
  const dir = mkdtempSync(join(tmpdir(), "hop3-accept-"));
  const ran = join(dir, "ran");
  writeFileSync(join(dir, "docker"), `#!/bin/sh\ntouch ${ran}\n`);
  chmodSync(join(dir, "docker"), 0o755);
  return { path: dir, ran };
}

function app(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "hop3-accept-app-")), "web");
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe("accept", () => {
  const builder = createDockerBuilder();
  const { path, ran } = fakeDockerPath();
  const ask = (dir: string, PATH = path) => builder.accept({ app: loadApp(dir), toolchains: [], env: { PATH } });

  it("accepts an app with a Dockerfile, without running docker", async () => {
    expect(await ask(app({ Dockerfile: "FROM scratch\n" }))).toEqual({ accepted: true, reason: "Dockerfile found" });
    expect(await ask(app({ "hop3.toml": '[docker]\ndockerfile = "ops/Containerfile"\n', Containerfile: "" }))).toMatchObject({ accepted: false });
    const { existsSync } = await import("node:fs");
    expect(existsSync(ran)).toBe(false);
  });

  it("declines without a Dockerfile, or when hop3.toml names another builder", async () => {
    expect(await ask(app({ "server.py": "" }))).toEqual({ accepted: false, reason: "no Dockerfile" });
    expect(await ask(app({ Dockerfile: "", "hop3.toml": '[build]\nbuilder = "local"\n' }))).toEqual({ accepted: false, reason: 'Dockerfile found, but hop3.toml [build] builder is "local"' });
  });

  it("takes the Dockerfile hop3.toml names", async () => {
    const dir = app({ "hop3.toml": '[docker]\ndockerfile = "Dockerfile.prod"\n', "Dockerfile.prod": "FROM scratch\n" });
    expect(await ask(dir)).toEqual({ accepted: true, reason: "Dockerfile.prod found" });
  });

  it("raises DOCKER_NOT_INSTALLED when the app has a Dockerfile and docker is not on PATH", () => {
    expect(() => ask(app({ Dockerfile: "" }), "/nonexistent")).toThrow(expect.objectContaining({ code: "DOCKER_NOT_INSTALLED" }));
  });
});

describe("options and plugin", () => {
  it("fills defaults and names a bad option", () => {
    expect(resolveDockerOptions(undefined)).toEqual({ docker: "docker", timeoutSeconds: 1800, defaultPort: 8080, priority: 20 });
    expect(() => resolveDockerOptions({ timeoutSeconds: -1 })).toThrow(expect.objectContaining({ code: "OPTIONS_INVALID" }));
    expect(() => resolveDockerOptions({ network: "a b" })).toThrow(expect.objectContaining({ code: "OPTIONS_INVALID" }));
    expect(() => resolveDockerOptions({ nope: 1 } as never)).toThrow(expect.objectContaining({ code: "OPTIONS_INVALID" }));
  });

  it("registers the docker builder, priority 20, without toolchains", () => {
    const dist = createDistribution({ plugins: [dockerPlugin()], env: { HOP3_HOME: mkdtempSync(join(tmpdir(), "hop3-home-")), PATH: "/usr/bin:/bin" } });
    expect(dist.plugins).toEqual([expect.objectContaining({ name: "@hop3/builder-docker", apiVersion: 1, version: "0.1.0" })]);
    expect(dist.registry.builders()).toEqual([expect.objectContaining({ name: "docker", priority: 20, usesToolchains: false })]);
  });
});
