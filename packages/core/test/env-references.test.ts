import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createDistribution,
  definePlugin,
  describeEnvEntry,
  Hop3Tokens,
  describeEnvReference,
  generateValue,
  generatorSpec,
  loadApp,
  parseHop3Toml,
  planEnv,
  type AddonEnvSource,
  type AppFacts,
  type EnvReference,
  type PlanEnvInput,
} from "@hop3/core";
import { planAppEnv, readGeneratedValues, settleAppEnv } from "../src/pipeline/app-env.js";
import { writeAppRecord } from "../src/pipeline/app-record.js";
import { caught, makeApp } from "./helpers.js";

const facts: AppFacts = { name: "shop", host: "shop.example.org", domain: "shop.example.org", url: "http://shop.example.org:8080/" };
const noAddons: AddonEnvSource = { envOf: () => undefined };

/** planEnv on a hop3.toml text, with what the server knows given. */
const plan = (toml: string, more: Partial<PlanEnvInput> = {}) => {
  const parsed = parseHop3Toml(toml);
  const references = Object.fromEntries(Object.entries(parsed.env ?? {}).filter(([, v]) => typeof v === "object")) as Record<string, EnvReference>;
  return planEnv({ app: "shop", toml: parsed, references, facts, userEnv: {}, generated: {}, addons: noAddons, ...more });
};

describe("generated values", () => {
  it.each([
    ["hex", { generate: "hex" }, /^[0-9a-f]{64}$/],
    ["hex, 16", { generate: "hex", length: 16 }, /^[0-9a-f]{16}$/],
    ["urlsafe", { generate: "urlsafe" }, /^[A-Za-z0-9_-]{43}$/],
    ["base64, 12", { generate: "base64", length: 12 }, /^[A-Za-z0-9+/]{12}$/],
    ["password, 20", { generate: "password", length: 20 }, /^[A-Za-z0-9]{20}$/],
    ["password with a prefix", { generate: "password", length: 10, prefix: "sk_" }, /^sk_[A-Za-z0-9]{10}$/],
    ["uuid", { generate: "uuid" }, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
    ["random = true", { random: true }, /^[A-Za-z0-9_-]{43}$/],
    ["random = true, 32", { random: true, length: 32 }, /^[A-Za-z0-9_-]{32}$/],
  ] as const)("%s: the alphabet and length asked", (_name, reference, shape) => {
    const spec = generatorSpec(reference as EnvReference)!;
    const values = new Set(Array.from({ length: 50 }, () => generateValue(spec)));
    for (const value of values) expect(value).toMatch(shape);
    expect(values.size).toBe(50); // never twice the same
  });

  it("uses the whole alphabet (no character is left out by a biased draw)", () => {
    const seen = new Set(generateValue({ generator: "urlsafe", length: 4096, prefix: "" }));
    expect(seen.size).toBe(64);
  });

  it("refuses lengths below 8 or above 4096, and random = false", async () => {
    for (const toml of ['[env]\nS = { generate = "hex", length = 4 }', '[env]\nS = { generate = "hex", length = 5000 }', "[env]\nS = { random = false }"]) {
      expect((await caught(() => parseHop3Toml(toml))).code).toBe("CONFIG_INVALID_VALUE");
    }
  });

  it("is marked 'generated at first deploy' until made, then shown masked", async () => {
    const first = await plan('[env]\nSECRET_KEY = { generate = "urlsafe" }');
    expect(first.entries).toEqual([{ name: "SECRET_KEY", from: "generated", spec: { generator: "urlsafe", length: 43, prefix: "" } }]);
    expect(describeEnvEntry(first.entries[0]!)).toBe("SECRET_KEY = (generated at first deploy: urlsafe, 43 characters)");
    const kept = { generator: "urlsafe", length: 43, prefix: "", value: "s3cr3t-value-never-shown", createdAt: "2026-12-06T08:00:00.000Z" } as const;
    const second = await plan('[env]\nSECRET_KEY = { generate = "urlsafe" }', { generated: { SECRET_KEY: kept } });
    expect(describeEnvEntry(second.entries[0]!)).toBe("SECRET_KEY = ******** (generated 2026-12-06T08:00:00.000Z, kept)");
    expect(JSON.stringify(second.entries.map(describeEnvEntry))).not.toContain("s3cr3t");
  });

  it("keeps its value when hop3.toml asks for another generator, and says so", async () => {
    const kept = { generator: "urlsafe", length: 43, prefix: "", value: "x".repeat(43), createdAt: "t" } as const;
    const result = await plan('[env]\nSECRET_KEY = { generate = "password", length = 20 }', { generated: { SECRET_KEY: kept } });
    expect(result.entries[0]).toMatchObject({ from: "generated", kept });
    expect(result.warnings).toEqual([expect.stringContaining("keeps the value generated at its first deploy (urlsafe, 43 characters)")]);
  });
});

describe("app facts", () => {
  it("fills in name, host, domain and url", async () => {
    const result = await plan('[env]\nN = { key = "name" }\nH = { key = "host" }\nD = { key = "domain" }\nU = { key = "url" }');
    expect(result.entries.map((e) => [e.name, "value" in e ? e.value : undefined])).toEqual([
      ["N", "shop"],
      ["H", "shop.example.org"],
      ["D", "shop.example.org"],
      ["U", "http://shop.example.org:8080/"],
    ]);
    expect(describeEnvEntry(result.entries[0]!)).toBe("N = shop (app fact name)");
  });

  it("refuses a fact Hop3 does not know, and the host's public address, with the file's line", async () => {
    const unknown = await caught(() => loadApp(makeApp({ "hop3.toml": '[env]\nA = "1"\nCOLOUR = { key = "colour" }\n' })));
    expect(unknown.code).toBe("ENV_FACT_UNKNOWN");
    expect(unknown.message).toMatch(/hop3\.toml line 3: \[env\] COLOUR names the app fact "colour"/);
    const ip = await caught(() => loadApp(makeApp({ "hop3.toml": "[env]\nIP = { external_ip = true }\n" })));
    expect(ip.code).toBe("ENV_FACT_UNKNOWN");
    expect(ip.hint).toContain("hop3 config set");
  });
});

describe("addon references", () => {
  const withDb = '[[addons]]\ntype = "postgres"\nname = "db"\n[env]\nDB_HOST = { from = "db", key = "PGHOST" }\n';

  it.each([
    ["another app's addon", '[[addons]]\ntype = "postgres"\nname = "db"\n[env]\nX = { from = "other-app/db", key = "PGPASSWORD" }\n', "names another app's addon"],
    ["an addon not declared", '[env]\nX = { from = "db", key = "PGHOST" }\n', "does not declare (its addons: none)"],
    ["a misspelled addon", '[[addons]]\ntype = "postgres"\nname = "db"\n[env]\nX = { from = "bd", key = "PGHOST" }\n', "does not declare (its addons: db)"],
  ])("refuses %s at load time (validate, plan and deploy), with ENV_ADDON_UNDECLARED", async (_name, toml, why) => {
    const error = await caught(() => loadApp(makeApp({ "hop3.toml": toml })));
    expect(error.code).toBe("ENV_ADDON_UNDECLARED");
    expect(error.message).toContain(why);
    expect(error.details).toMatchObject({ variable: "X", key: "env.X" });
  });

  it("names a [[provider]] (catalogue apps) or an addon by its type when it has no name", async () => {
    expect((await plan('[[provider]]\nname = "redis"\n[env]\nR = { from = "redis", key = "URL" }', { addons: { envOf: () => ({ URL: "redis://x" }) } })).entries[0]).toMatchObject({ value: "redis://x" });
    expect(loadApp(makeApp({ "hop3.toml": '[[addons]]\ntype = "postgres"\n[env]\nH = { from = "postgres", key = "PGHOST" }\n' })).config.deferredEnv).toHaveProperty("H");
  });

  it("is ENV_ADDON_UNRESOLVED when nothing provides the addon's variables, with a hint to `hop3 config set`", async () => {
    const error = await caught(() => plan(withDb));
    expect(error.code).toBe("ENV_ADDON_UNRESOLVED");
    expect(error.hint).toContain("hop3 config set shop DB_HOST=");
  });

  it("is ENV_ADDON_UNRESOLVED when the addon lacks the key", async () => {
    const error = await caught(() => plan(withDb, { addons: { envOf: () => ({ PGPORT: "5432" }) } }));
    expect(error.code).toBe("ENV_ADDON_UNRESOLVED");
    expect(error.message).toContain("has no variable PGHOST");
  });

  it("resolves through the addon source, asked by the app and addon, and masks the value", async () => {
    const asked: unknown[] = [];
    const result = await plan(withDb, { addons: { envOf: async (app, addon) => (asked.push([app, addon]), { PGHOST: "10.0.0.5" }) } });
    expect(asked).toEqual([["shop", { name: "db", type: "postgres" }]]);
    expect(result.entries).toEqual([{ name: "DB_HOST", from: "addon", addon: "db", key: "PGHOST", value: "10.0.0.5" }]);
    expect(describeEnvEntry(result.entries[0]!)).toBe("DB_HOST = ******** (addon db, PGHOST)");
  });

  it("is resolvable once the user set the variable: that value wins over the reference", async () => {
    const result = await plan(withDb, { userEnv: { DB_HOST: "db.internal" } });
    expect(result.entries).toEqual([{ name: "DB_HOST", from: "config set" }]);
  });

  it("is described from hop3.toml alone by validate", () => {
    expect(describeEnvReference("DB_HOST", { from: "db", key: "PGHOST" })).toBe("DB_HOST: addon db, variable PGHOST");
    expect(describeEnvReference("S", { generate: "password", length: 20 })).toBe("S: generated once (password, 20 characters), kept across deploys");
    expect(describeEnvReference("N", { key: "name" })).toBe("N: app fact name");
  });
});

describe("kept with the app's state across deploys", () => {
  const toml = '[env]\nPLAIN = "p"\nSECRET_KEY = { generate = "urlsafe" }\nTOKEN = { generate = "hex", length = 16 }\nAPP = { key = "name" }\n';
  const router = () => ({ urlFor: (app: string) => `http://${app}.localhost:8080/` }) as never;

  it("makes each value once, at the first settle, root's and 0600, and gives the same one after", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-env-"));
    const app = loadApp(makeApp({ "hop3.toml": toml }, "shop"));
    const first = settleAppEnv(home, app, await planAppEnv({ home, router }, app, { addons: noAddons }), new Date("2026-12-06T08:00:00Z"));
    expect(first.made).toEqual(["SECRET_KEY", "TOKEN"]);
    expect(first.env).toMatchObject({ PLAIN: "p", APP: "shop" });
    expect(first.env.SECRET_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = join(home, "apps", "shop", "secrets.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    if (process.getuid?.() === 0) expect(statSync(file).uid).toBe(0);

    const secondPlan = await planAppEnv({ home, router }, app, { addons: noAddons });
    expect(secondPlan.entries.find((e) => e.name === "SECRET_KEY")).toMatchObject({ kept: { value: first.env.SECRET_KEY, createdAt: "2026-12-06T08:00:00.000Z" } });
    const second = settleAppEnv(home, app, secondPlan, new Date());
    expect(second.made).toEqual([]);
    expect(second.env).toEqual(first.env);
    expect(readGeneratedValues(home, "shop").TOKEN?.value).toBe(first.env.TOKEN);
  });

  it("takes the host from the app's first domain, and the user's values from its record", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-env-"));
    writeAppRecord(home, { name: "shop", source: "/x", appEnv: {}, userEnv: { SECRET_KEY: "mine" }, scale: {}, domains: ["shop.example.org"] });
    const app = loadApp(makeApp({ "hop3.toml": '[env]\nSECRET_KEY = { generate = "urlsafe" }\nU = { key = "url" }\n' }, "shop"));
    const result = await planAppEnv({ home, router }, app, { addons: noAddons });
    expect(result.entries).toEqual([
      { name: "SECRET_KEY", from: "config set" },
      { name: "U", from: "fact", fact: "url", value: "http://shop.example.org:8080/" },
    ]);
    expect(settleAppEnv(home, app, result, new Date()).made).toEqual([]);
  });

  it("keeps a variable named __proto__ like any other", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-env-"));
    const app = loadApp(makeApp({ "hop3.toml": '[env]\n__proto__ = { generate = "hex", length = 8 }\n' }, "shop"));
    const first = settleAppEnv(home, app, await planAppEnv({ home, router }, app, { addons: noAddons }), new Date());
    expect(first.made).toEqual(["__proto__"]);
    expect(Object.hasOwn(first.env, "__proto__")).toBe(true);
    const second = settleAppEnv(home, app, await planAppEnv({ home, router }, app, { addons: noAddons }), new Date());
    expect(second.made).toEqual([]);
    expect(second.env).toEqual(first.env);
  });

  it("refuses a secrets file that is not Hop3's rather than making new values over it", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-env-"));
    const app = loadApp(makeApp({ "hop3.toml": toml }, "shop"));
    settleAppEnv(home, app, await planAppEnv({ home, router }, app, { addons: noAddons }), new Date());
    writeFileSync(join(home, "apps", "shop", "secrets.json"), "{ nope");
    expect((await caught(() => planAppEnv({ home, router }, app, { addons: noAddons }))).code).toBe("APP_STATE_CORRUPT");
  });
});

describe("the plug point for addons: Hop3Tokens.AddonEnv", () => {
  const env = { ...process.env, HOP3_HOME: mkdtempSync(join(tmpdir(), "hop3-env-")) };
  const builder = { apiVersion: 1, name: "any", usesToolchains: false, accept: () => ({ accepted: true, reason: "always" }), build: () => Promise.reject(new Error("not built")) } as never;
  const source: AddonEnvSource = { envOf: (app, addon) => (addon.type === "postgres" ? { PGHOST: `${app}.db.internal` } : undefined) };
  // A postgres kind, so the plan gets past its check of hop3.toml's kinds; plan() never calls it.
  const unused = () => Promise.reject(new Error("not called by plan"));
  const postgres = { apiVersion: 1, name: "postgres", ensureRunning: unused, stop: unused, create: unused, attach: unused, detach: unused, destroy: unused, backup: unused, restore: unused, status: unused } as never;
  const dir = makeApp({ "hop3.toml": '[[addons]]\ntype = "postgres"\nname = "db"\n[env]\nDB_HOST = { from = "db", key = "PGHOST" }\n' }, "shop");

  it("resolves nothing for an addon not made yet: the plan stops with ENV_ADDON_UNRESOLVED", async () => {
    const distribution = createDistribution({ env, plugins: [definePlugin({ name: "test/builder", apiVersion: 1, register: (r) => (r.addBuilder(builder), r.addAddon(postgres)) })] });
    expect((await caught(() => distribution.plan(dir))).code).toBe("ENV_ADDON_UNRESOLVED");
    // A value the deploy gives wins over the reference.
    expect((await distribution.plan(dir, { env: { DB_HOST: "x" } })).env?.entries).toEqual([{ name: "DB_HOST", from: "config set" }]);
  });

  it("takes the source a plugin provides in register(), or a distribution in services", async () => {
    const addons = definePlugin({ name: "test/addons", apiVersion: 1, register: (r) => (r.addBuilder(builder), r.addAddon(postgres), r.provide(Hop3Tokens.AddonEnv, source)) });
    const fromPlugin = await createDistribution({ env, plugins: [addons] }).plan(dir);
    expect(fromPlugin.env?.entries).toEqual([{ name: "DB_HOST", from: "addon", addon: "db", key: "PGHOST", value: "shop.db.internal" }]);
    const plain = definePlugin({ name: "test/builder", apiVersion: 1, register: (r) => (r.addBuilder(builder), r.addAddon(postgres)) });
    const fromServices = await createDistribution({ env, plugins: [plain], services: { [Hop3Tokens.AddonEnv]: source } }).plan(dir);
    expect(fromServices.env?.entries).toEqual(fromPlugin.env?.entries);
  });
});
