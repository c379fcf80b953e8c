import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandLine, createDistribution, createMemoryLogger, Hop3Error, livePids, type Addon, type OperationContext } from "@hop3/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

function commandLineOf(pid: number): string {
  try {
    return commandLine(pid).join(" ");
  } catch {
    return ""; // gone meanwhile
  }
}

/** Variables an addon gave an app (`Addon.attach`). */
export type AddonEnv = Readonly<Record<string, string>>;

/**
 * How the kit reaches an instance's data the way an app would, with the variables it was given:
 * the kit knows no protocol (SQL, RESP), the addon's tests do.
 */
export interface AddonProbe {
  /** Stores `value` under `key` with these variables; throws when the server refuses them. */
  write(env: AddonEnv, key: string, value: string): Promise<void>;
  /** The value under `key`, undefined when there is none; throws when the server refuses the variables. */
  read(env: AddonEnv, key: string): Promise<string | undefined>;
  /**
   * Tries to read `other`'s data with `mine`'s credentials (another instance's database, another
   * user's key prefix): must throw. Undefined when the kind has no such thing to try.
   */
  readOther?(mine: AddonEnv, other: AddonEnv, key: string): Promise<string | undefined>;
}

export interface AddonConformanceOptions {
  /** Makes the addon under test (called once, with the kit's HOP3_HOME in `env`). */
  readonly addon: (env: Readonly<Record<string, string | undefined>>) => Addon;
  readonly probe: AddonProbe;
  /** Variables to run with besides HOP3_HOME (a port...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Per test (default 60 s: a first start makes the server's data). */
  readonly timeoutMs?: number;
}

/**
 * The Addon contract, against the real server: create, attach (the variables reach the data),
 * attach again (same answer), isolation of a second instance, detach (access ends), backup then
 * restore, a corrupt dump refused with the data kept, destroy (nothing left), status, stop and
 * start again (the data stays). Makes its own HOP3_HOME and stops the server at the end.
 */
export function describeAddonConformance(name: string, options: AddonConformanceOptions): void {
  const timeout = options.timeoutMs ?? 60_000;
  describe.sequential(`addon conformance: ${name}`, () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-addon-kit-"));
    const env = { ...process.env, ...options.env, HOP3_HOME: home };
    let addon: Addon;
    let context: OperationContext;
    let first: AddonEnv;
    let second: AddonEnv;
    const { probe } = options;
    const [a, b] = ["kit-a", "kit-b"];

    beforeAll(async () => {
      addon = options.addon(env);
      context = createDistribution({ plugins: [], env }).operationContext({ logger: createMemoryLogger() });
      await addon.ensureRunning(context);
    }, timeout);

    afterAll(async () => {
      await addon?.stop(context);
      // stop() leaves nothing running of this home (the server, its helpers).
      const left = livePids().filter((pid) => pid !== process.pid && commandLineOf(pid).includes(home));
      rmSync(home, { recursive: true, force: true });
      expect(left, "processes left running after stop()").toEqual([]);
    }, timeout);

    it("is a versioned addon with a name", () => {
      expect(addon.apiVersion).toBe(1);
      expect(addon.name).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    });

    it("starts idempotently", async () => {
      await addon.ensureRunning(context);
      await addon.ensureRunning(context);
    }, timeout);

    it("creates an instance, and refuses to create it twice", async () => {
      await addon.create(a, context);
      const error = await addon.create(a, context).then(() => undefined, (e: unknown) => e);
      expect(Hop3Error.is(error), String(error)).toBe(true);
      expect((await addon.status(a, context)).running).toBe(true);
    }, timeout);

    it("gives an attached app variables that reach the data, the same ones on each attach", async () => {
      first = await addon.attach(a, "app-one", context);
      expect(Object.keys(first).length).toBeGreaterThan(0);
      await probe.write(first, "greeting", "hello");
      expect(await probe.read(first, "greeting")).toBe("hello");
      expect(await addon.attach(a, "app-one", context)).toEqual(first);
    }, timeout);

    it("keeps a second instance apart: its variables do not see the first one's data", async () => {
      await addon.create(b, context);
      second = await addon.attach(b, "app-two", context);
      expect(await probe.read(second, "greeting")).toBeUndefined();
      await probe.write(second, "greeting", "other");
      expect(await probe.read(first, "greeting")).toBe("hello");
      if (probe.readOther) {
        const stolen = await probe.readOther(second, first, "greeting").then((value) => ({ value }), (error: unknown) => ({ error }));
        expect(stolen, "another instance's credentials must be refused").toHaveProperty("error");
      }
    }, timeout);

    it("takes the access away on detach, and keeps the data", async () => {
      const other = await addon.attach(a, "app-three", context);
      await addon.detach(a, "app-three", context);
      await expect(probe.read(other, "greeting")).rejects.toThrow();
      expect(await probe.read(first, "greeting")).toBe("hello");
    }, timeout);

    it("backs up and restores an instance: the data is as it was at the backup", async () => {
      const file = join(home, "dump");
      const dump = await addon.backup(a, file, context);
      expect(dump.format).toMatch(/\S/);
      expect(dump.bytes).toBe(statSync(file).size);
      expect(dump.bytes).toBeGreaterThan(0);
      await probe.write(first, "greeting", "changed");
      await probe.write(first, "later", "x");
      await addon.restore(a, file, context);
      expect(await probe.read(first, "greeting")).toBe("hello");
      expect(await probe.read(first, "later")).toBeUndefined();
    }, timeout);

    it("refuses a corrupt dump and keeps the data", async () => {
      const file = join(home, "corrupt");
      writeFileSync(file, "not a dump at all\n");
      await expect(addon.restore(a, file, context)).rejects.toSatisfy((e: unknown) => Hop3Error.is(e));
      expect(await probe.read(first, "greeting")).toBe("hello");
    }, timeout);

    it("keeps the data across a stop and a start", async () => {
      await addon.stop(context);
      expect((await addon.status(a, context)).running).toBe(false);
      await addon.ensureRunning(context);
      const status = await addon.status(a, context);
      expect(status.running).toBe(true);
      expect(status.details.length).toBeGreaterThan(0);
      expect(status.details.join("\n")).not.toContain(Object.values(first).find((v) => v.length >= 16) ?? "\u0000");
      expect(await probe.read(first, "greeting")).toBe("hello");
    }, timeout);

    it("destroys an instance: its variables reach nothing, the same name starts empty", async () => {
      await addon.destroy(a, context);
      await expect(probe.read(first, "greeting")).rejects.toThrow();
      expect((await addon.status(a, context)).running).toBe(false);
      await addon.create(a, context);
      const again = await addon.attach(a, "app-one", context);
      expect(await probe.read(again, "greeting")).toBeUndefined();
      expect(await probe.read(second, "greeting")).toBe("other");
      await addon.destroy(a, context);
      await addon.destroy(b, context);
    }, timeout);
  });
}
