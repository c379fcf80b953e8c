/** `hop3 validate`: the normalized configuration of an app, or a coded error naming file, line and key. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtInCommands, createCli, EXIT } from "@hop3/cli";
import { createDistribution } from "@hop3/core";
import { memoryIO } from "./memory-io.js";

const cli = createCli(async () => createDistribution({ plugins: [] }), { name: "hop3", version: "1.2.3", commands: builtInCommands });

function appDir(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "hop3-validate-")), "shop");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

describe("hop3 validate", () => {
  it("prints the normalized configuration and its warnings, and exits 0", async () => {
    const dir = appDir({
      "hop3/hop3.toml": ['[app]', 'builder = "docker"', "[web]", "port = 8000", "[processes]", 'worker = "celery"', "[healthcheck]", 'path = "/up"', 'contains = "ok"', "[[provider]]", 'name = "postgres"'].join("\n"),
      Procfile: "web: gunicorn app:app\nprebuild: ./fetch.sh\n",
    });
    const io = memoryIO(dir);
    expect(await cli.run(["validate"], io)).toBe(EXIT.ok);
    expect(io.out().split("\n")).toEqual([
      `app shop (${dir})`,
      "read: hop3/hop3.toml, Procfile",
      "builder: docker",
      "prebuild: ./fetch.sh",
      "workers:",
      "  web: gunicorn app:app",
      "  worker: celery",
      'healthcheck: /up (body contains "ok")',
      "container port: 8000 (hop3.toml [web] port)",
      'warning: The builder "docker" is not installed in this distribution (installed: none); `hop3 plan` would refuse it.',
      "valid",
      "",
    ]);
  });

  it("gives one JSON object with --json", async () => {
    const dir = appDir({ "hop3.toml": '[env]\nA = 1\nS = { generate = "hex" }\n' });
    const io = memoryIO(dir);
    expect(await cli.run(["validate", dir, "--json"], io)).toBe(EXIT.ok);
    expect(JSON.parse(io.out())).toMatchObject({ valid: true, app: "shop", builder: "auto", env: { A: "1" }, deferredEnv: { S: { generate: "hex" } }, notActedOn: [] });
  });

  it("lists each [env] reference as hop3.toml writes it", async () => {
    const dir = appDir({ "hop3.toml": '[[addons]]\ntype = "postgres"\nname = "db"\n[env]\nA = 1\nS = { generate = "password", length = 20 }\nN = { key = "name" }\nH = { from = "db", key = "PGHOST" }\n' });
    const io = memoryIO(dir);
    expect(await cli.run(["validate", dir], io)).toBe(EXIT.ok);
    expect(io.out()).toContain(["env: A", "env S: generated once (password, 20 characters), kept across deploys", "env N: app fact name", "env H: addon db, variable PGHOST"].join("\n"));
  });

  it.each([
    ["hop3.toml", "[build]\nbuilder = \"nix\"\n\n[procesess]\nweb = \"x\"\n", "CONFIG_UNKNOWN_KEY", 4, "procesess"],
    ["hop3.toml", "[web]\nport = \"80\"\n", "CONFIG_INVALID_VALUE", 2, "web.port"],
    ["Procfile", "web: a\nweb: b\n", "PROCFILE_DUPLICATE_WORKER", 2, "web"],
  ])("exits 1 with a coded error naming %s, the line and the key", async (file, text, code, line, key) => {
    const dir = appDir({ [file]: text });
    const io = memoryIO(dir);
    expect(await cli.run(["validate", "--json"], io)).toBe(EXIT.userError);
    const { error } = JSON.parse(io.out());
    expect(error).toMatchObject({ code, details: { file: join(dir, file), line, key } });
    expect(io.err()).toContain(`error[${code}]: ${join(dir, file)} line ${line}`);
  });

  it("refuses a directory that does not exist", async () => {
    const io = memoryIO("/");
    expect(await cli.run(["validate", "/nonexistent/app"], io)).toBe(EXIT.userError);
    expect(io.err()).toContain("error[APP_DIR_NOT_FOUND]");
  });
});
