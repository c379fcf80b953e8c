import { describe, expect, it } from "vitest";
import { ASSIGNED_NAMES, mergeWorkerEnv, resolvePathPrepend } from "@hop3/deployer-uwsgi";
import { APP_PORT_KEY, portKeys, portOf } from "../src/worker-env.js";
import { caught } from "./helpers.js";

const assigned = { BIND_ADDRESS: "127.0.0.1", PORT: "5000", HOP3_INSTANCE: "blog_web.1" };

describe("mergeWorkerEnv", () => {
  it("merges artifact < hop3.toml [env] < config set < what Hop3 assigns", () => {
    const { env, overridden } = mergeWorkerEnv({
      artifact: { A: "artifact", B: "artifact", C: "artifact", D: "artifact" },
      app: { B: "app", C: "app", E: "app" },
      user: { C: "user", F: "user" },
      assigned,
    });
    expect(env).toEqual({ A: "artifact", D: "artifact", B: "app", E: "app", C: "user", F: "user", ...assigned });
    expect(overridden).toEqual([]);
  });

  it("never takes an assigned name from a layer, and reports which were set, in a fixed order", () => {
    const { env, overridden } = mergeWorkerEnv({
      artifact: { HOP3_INSTANCE: "fake" },
      app: { PORT: "80" },
      user: { BIND_ADDRESS: "0.0.0.0", PORT: "81" },
      assigned,
    });
    expect(env).toEqual(assigned);
    expect(overridden).toEqual(["PORT", "BIND_ADDRESS", "HOP3_INSTANCE"]);
    expect(ASSIGNED_NAMES).toEqual(["PORT", "BIND_ADDRESS", "HOP3_INSTANCE"]);
  });

  it("gives a worker without a port no PORT at all, even one set by the user", () => {
    const { env } = mergeWorkerEnv({ artifact: {}, app: {}, user: { PORT: "81" }, assigned: { BIND_ADDRESS: "127.0.0.1" } });
    expect(env).toEqual({ BIND_ADDRESS: "127.0.0.1" });
  });

  it("keeps values byte for byte: newlines, quotes, %, $ and empty strings", () => {
    const value = "line 1\nline 2 'q' \"dq\" 100% $HOME `x` \\";
    const { env } = mergeWorkerEnv({ artifact: { EMPTY: "" }, app: {}, user: { V: value }, assigned });
    expect(env.V).toBe(value);
    expect(env.EMPTY).toBe("");
  });

  it.each([
    ["artifact", "the artifact's runtime env"],
    ["app", "hop3.toml [env]"],
    ["user", "the app's config (hop3 config set)"],
  ] as const)("raises UWSGI_ENV_NAME_INVALID naming the layer (%s)", async (layer, label) => {
    for (const name of ["A-B", "1A", "A B", "A\nB", "", "É"]) {
      const layers = { artifact: {}, app: {}, user: {}, assigned, [layer]: { [name]: "x" } };
      const error = await caught(() => mergeWorkerEnv(layers));
      expect(error.code).toBe("UWSGI_ENV_NAME_INVALID");
      expect(error.message).toBe(`${label} sets ${JSON.stringify(name)}, which is not a valid environment variable name.`);
    }
  });

  it("raises UWSGI_ENV_VALUE_INVALID for a NUL, which no process environment can hold", async () => {
    const error = await caught(() => mergeWorkerEnv({ artifact: {}, app: { TOKEN: "a\0b" }, user: {}, assigned }));
    expect(error.code).toBe("UWSGI_ENV_VALUE_INVALID");
    expect(error.message).toContain("hop3.toml [env] sets TOKEN");
  });
});

describe("resolvePathPrepend", () => {
  it("keeps absolute entries and resolves relative ones against the working directory, in order", () => {
    expect(resolvePathPrepend(["/nix/store/abc-app/bin", "venv/bin", "./node_modules/.bin"], "/srv/app")).toEqual([
      "/nix/store/abc-app/bin",
      "/srv/app/venv/bin",
      "/srv/app/node_modules/.bin",
    ]);
  });

  it("refuses an entry holding ':', which would split in two on PATH", async () => {
    const error = await caught(() => resolvePathPrepend(["/a:/b"], "/srv/app"));
    expect(error.code).toBe("UWSGI_PATH_UNSAFE");
    expect(error.message).toContain('"/a:/b"');
  });
});

describe("PORT of every worker", () => {
  const instance = (worker: string, index = 1) => ({ worker, index, key: `${worker}.${index}`, command: "run", web: worker === "web" });

  it("gives each web instance its own port and every other worker the app's (web.1's)", () => {
    const instances = [instance("web", 1), instance("web", 2), instance("worker")];
    expect(portKeys(instances)).toEqual(["web.1", "web.2"]);
    const ports = { "web.1": 5001, "web.2": 5002 };
    expect(instances.map((i) => portOf(i, ports))).toEqual([5001, 5002, 5001]);
  });

  it("gives an app with no web instance a port of its own, which its workers get", () => {
    const instances = [instance("worker"), instance("clock")];
    expect(portKeys(instances)).toEqual([APP_PORT_KEY]);
    expect(instances.map((i) => portOf(i, { [APP_PORT_KEY]: 6000 }))).toEqual([6000, 6000]);
    expect(portKeys([])).toEqual([]);
  });
});
