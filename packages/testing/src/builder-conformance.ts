import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  removeAppUser,
  CONTRIBUTION_NAME_PATTERN,
  createDistribution,
  definePlugin,
  Hop3Error,
  validateArtifact,
  type BuildArtifact,
  type Builder,
  type Distribution,
  type LanguageToolchain,
} from "@hop3/core";
import { snapshotTree } from "./snapshot.js";

/** An app the builder must fail on, and the code it must fail with. */
export interface FailingFixture {
  /** The app directory. */
  readonly dir: string;
  /** The Hop3Error code the build must raise (e.g. "NIX_SYNTAX_ERROR"). */
  readonly code: string;
}

/** Real app directories the kit runs the builder against. Paths are absolute or relative to cwd. */
export interface BuilderFixtures {
  /** Apps the builder must accept and build into a valid artifact. At least one. */
  readonly accepted: readonly string[];
  /** Apps the builder must decline (with a reason); built anyway, they must fail with a coded error. */
  readonly declined?: readonly string[];
  /** Apps it accepts, or is named for, whose build must fail with a given code. */
  readonly failing?: readonly FailingFixture[];
  /**
   * An app whose build runs for seconds (a build step that sleeps), so it can be cancelled half-way:
   * its build is aborted after `abortAfterMs` and must stop within `stopWithinMs` with a coded
   * `*_CANCELLED` error. Without it, that check is reported as skipped ("NOT CHECKED"); a fixture
   * that builds before the abort fails the check.
   */
  readonly cancellable?: string;
}

export interface BuilderConformanceOptions {
  readonly fixtures: BuilderFixtures;
  /** Toolchains handed to a builder that declares `usesToolchains`. */
  readonly toolchains?: readonly LanguageToolchain[];
  /** Environment for the builder (PATH, NIX_CONFIG, DOCKER_HOST...); HOP3_HOME is set to a temporary directory. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Time limit of each build, in ms (default 120 000). */
  readonly timeoutMs?: number;
  /** When the half-way cancellation aborts the build, in ms after it starts (default 200). */
  readonly abortAfterMs?: number;
  /** How long a cancelled build may take to stop, in ms (default 15 000). */
  readonly stopWithinMs?: number;
}

/** The result of running a build, settled: the artifact, or the error. */
type Settled = { artifact: BuildArtifact; error?: undefined } | { artifact?: undefined; error: unknown };

/**
 * Registers a vitest suite that checks a builder against the plugin contract
 * (docs/reference/plugin-contract.md), on real directories, through a real distribution:
 *
 * - its shape: apiVersion 1, a valid name, `usesToolchains`, `accept` and `build`;
 * - `accept` answers `{ accepted, reason }` for every fixture, the same each time, and changes
 *   nothing: neither the app directory nor HOP3_HOME;
 * - `preview`, if any, changes nothing, answers the same each time, names well-formed workers and
 *   only coded problems (none for an accepted app);
 * - `build` of each accepted app returns an artifact that passes the BuildArtifact schema, names the
 *   app and the builder, and leaves the app directory untouched; `discard`, if any, succeeds;
 * - failures are coded errors (a `Hop3Error` with the expected code, never a plain exception);
 * - cancellation is honoured: an already-aborted build and a build aborted half-way (of
 *   `fixtures.cancellable`; skipped, and said so, without one) both stop with a coded `*_CANCELLED`
 *   error (COMMAND_CANCELLED from `context.run`, or the plugin's own) instead of returning an
 *   artifact; one that runs on after the abort is reported with its likely cause.
 *
 * @example
 * describeBuilderConformance(createMarkdownBuilder(), { fixtures: { accepted: ["test/fixtures/site"], declined: ["test/fixtures/empty"] } });
 */
export function describeBuilderConformance(builder: Builder, options: BuilderConformanceOptions): void {
  const fixtures = {
    accepted: options.fixtures.accepted.map((dir) => resolve(dir)),
    declined: (options.fixtures.declined ?? []).map((dir) => resolve(dir)),
    failing: (options.fixtures.failing ?? []).map((f) => ({ ...f, dir: resolve(f.dir) })),
    cancellable: options.fixtures.cancellable === undefined ? undefined : resolve(options.fixtures.cancellable),
  };
  const timeout = options.timeoutMs ?? 120_000;
  const name = typeof builder?.name === "string" ? builder.name : "(unnamed)";
  let home: string;
  let distribution: Distribution;
  const built: BuildArtifact[] = [];

  const build = async (dir: string, signal?: AbortSignal): Promise<Settled> => {
    try {
      // What preview() would refuse is left to build(), which this suite checks.
      const plan = await distribution.plan(dir, { builder: name, refuseProblems: false });
      return { artifact: await distribution.build(plan, signal ? { signal } : {}) };
    } catch (error) {
      return { error };
    }
  };
  const expectCoded = (settled: Settled, what: string): Hop3Error => {
    if (settled.artifact) built.push(settled.artifact);
    expect(settled.artifact, `${what}: expected a coded error, got an artifact`).toBeUndefined();
    expect(Hop3Error.is(settled.error), `${what}: expected a Hop3Error, got ${String((settled.error as Error)?.stack ?? settled.error)}`).toBe(true);
    const error = settled.error as Hop3Error;
    expect(error.code, `${what}: ${error.message}`).not.toBe("PLUGIN_FAILED");
    expect(error.hint, `${what}: the error has no hint`).not.toBe("");
    return error;
  };

  describe(`builder "${name}" conforms to the Hop3 builder contract`, () => {
    beforeAll(() => {
      home = mkdtempSync(join(tmpdir(), "hop3-conformance-"));
      const env = { ...(options.env ?? process.env), HOP3_HOME: home };
      distribution = createDistribution({
        env,
        plugins: [
          definePlugin({
            name: "@hop3/testing/conformance",
            apiVersion: 1,
            register(registry) {
              registry.addBuilder(builder);
              for (const toolchain of options.toolchains ?? []) registry.addToolchain(toolchain);
            },
          }),
        ],
      });
    });

    afterAll(async () => {
      // Free what the builds hold (GC roots, images), then the temporary home and the apps' users.
      for (const artifact of built) {
        await builder.discard?.(artifact, distribution!.appContext(artifact.appName)).catch(() => {});
      }
      const apps = [...new Set(built.map((artifact) => artifact.appName))];
      rmSync(home, { recursive: true, force: true });
      for (const app of apps) removeAppUser({ home, env: distribution!.env }, app);
    }, timeout);

    it("has the builder's shape: apiVersion 1, a valid name, usesToolchains, accept() and build()", () => {
      expect(builder.apiVersion).toBe(1);
      expect(builder.name).toMatch(new RegExp(CONTRIBUTION_NAME_PATTERN));
      expect(typeof builder.usesToolchains).toBe("boolean");
      expect(typeof builder.accept).toBe("function");
      expect(typeof builder.build).toBe("function");
      if (builder.priority !== undefined) expect(Number.isFinite(builder.priority)).toBe(true);
      if (builder.discard !== undefined) expect(typeof builder.discard).toBe("function");
      // The registry checks the same contract, with the messages users would see.
      expect(distribution.registry.builders().map((b) => b.name)).toEqual([name]);
      expect(fixtures.accepted.length, "give at least one accepted fixture").toBeGreaterThan(0);
    });

    it("accepts the accepted fixtures and declines the others, each with a reason", async () => {
      for (const [dirs, accepted] of [[fixtures.accepted, true], [fixtures.declined, false]] as const) {
        for (const dir of dirs) {
          const plan = await distribution.plan(dir, { builder: name, refuseProblems: false });
          const answer = plan.candidates.find((c) => c.name === name);
          expect(answer?.accepted, `accept() of ${dir}: ${answer?.reason}`).toBe(accepted);
          expect(answer?.reason.trim(), `accept() of ${dir} gives no reason`).not.toBe("");
        }
      }
    });

    it("accept() has no side effects and answers the same each time", async () => {
      const dirs = [...fixtures.accepted, ...fixtures.declined, ...fixtures.failing.map((f) => f.dir)];
      const before = dirs.map(snapshotTree);
      const homeBefore = snapshotTree(home);
      const toolchains = builder.usesToolchains ? distribution.registry.toolchains() : [];
      for (const dir of dirs) {
        const app = distribution.loadApp(dir);
        const context = { app, toolchains, env: distribution.env };
        const first = await builder.accept(context);
        const second = await builder.accept(context);
        expect(second, `accept() of ${dir} changed its answer`).toEqual(first);
      }
      dirs.forEach((dir, i) => expect(snapshotTree(dir), `accept() changed ${dir}`).toEqual(before[i]));
      expect(snapshotTree(home), "accept() wrote under HOP3_HOME").toEqual(homeBefore);
    });

    const previewTitle = "preview() has no side effects, answers the same each time, and says what build() would refuse with coded errors";
    it.runIf(builder.preview !== undefined)(builder.preview ? previewTitle : `${previewTitle} — NOT CHECKED: the builder has no preview() (optional: then nothing is checked before its build)`, async () => {
      const dirs = [...fixtures.accepted, ...fixtures.failing.map((f) => f.dir)];
      const before = dirs.map(snapshotTree);
      const homeBefore = snapshotTree(home);
      const toolchains = builder.usesToolchains ? distribution.registry.toolchains() : [];
      for (const dir of dirs) {
        const context = { app: distribution.loadApp(dir), toolchains, env: distribution.env };
        const answer = async () => {
          try {
            return { preview: await builder.preview!(context) };
          } catch (error) {
            return { error: expectCoded({ error }, `preview() of ${basename(dir)}`).code };
          }
        };
        const first = await answer();
        expect(await answer(), `preview() of ${dir} changed its answer`).toEqual(first);
        if (!first.preview) continue;
        const { workers, isolation, problems } = first.preview;
        if (workers !== undefined) for (const [worker, command] of Object.entries(workers)) expect(typeof command, `preview() of ${dir}: worker ${worker}`).toBe("string");
        if (isolation !== undefined) expect(["user", "container"]).toContain(isolation);
        for (const problem of problems ?? []) expectCoded({ error: problem }, `a problem preview() of ${basename(dir)} names`);
      }
      // An accepted fixture builds: its preview names no problem.
      for (const dir of fixtures.accepted) {
        const plan = await distribution.plan(dir, { builder: name, refuseProblems: false });
        expect(plan.checks?.problems.map((p) => `${p.code}: ${p.message}`), `preview() of ${dir}, which builds`).toEqual([]);
      }
      dirs.forEach((dir, i) => expect(snapshotTree(dir), `preview() changed ${dir}`).toEqual(before[i]));
      expect(snapshotTree(home), "preview() wrote under HOP3_HOME").toEqual(homeBefore);
    });

    it("builds each accepted fixture into a valid artifact, leaving the sources untouched", async () => {
      for (const dir of fixtures.accepted) {
        const before = snapshotTree(dir);
        const settled = await build(dir);
        if (!settled.artifact) throw settled.error;
        const artifact = settled.artifact;
        built.push(artifact);
        expect(() => validateArtifact(artifact, `builder "${name}"`)).not.toThrow();
        expect(artifact.builder).toBe(name);
        expect(artifact.appName).toBe(distribution.loadApp(dir).name);
        expect(snapshotTree(dir), `build() changed the sources in ${dir}`).toEqual(before);
      }
    }, timeout * Math.max(1, fixtures.accepted.length));

    it.runIf(fixtures.declined.length + fixtures.failing.length > 0)("fails with a coded error, with a hint, where it cannot build", async () => {
      for (const dir of fixtures.declined) expectCoded(await build(dir), `build() of declined ${basename(dir)}`);
      for (const { dir, code } of fixtures.failing) expect(expectCoded(await build(dir), `build() of ${basename(dir)}`).code).toBe(code);
    }, timeout * Math.max(1, fixtures.declined.length + fixtures.failing.length));

    const cancelled = (error: Hop3Error, what: string) => expect(error.code, `${what}: ${error.message}`).toMatch(/CANCELLED$/);

    it("honours cancellation: a build with an already-aborted signal stops with a coded *_CANCELLED error", async () => {
      const aborted = new AbortController();
      aborted.abort();
      cancelled(expectCoded(await build(fixtures.accepted[0]!, aborted.signal), "build() with an already-aborted signal"), "build() with an already-aborted signal");
    }, timeout);

    // Without a slow fixture a build finishes before any abort: say so rather than pass unchecked.
    const halfWay = "honours cancellation half-way: a build aborted while it runs stops soon with a coded *_CANCELLED error";
    if (fixtures.cancellable === undefined) {
      it.skip(`${halfWay} — NOT CHECKED: give fixtures.cancellable, an app whose build runs for seconds (a build step that sleeps)`, () => {});
      return;
    }
    const cancellable = fixtures.cancellable;
    it(halfWay, async () => {
      const abortAfterMs = options.abortAfterMs ?? 200;
      const stopWithinMs = options.stopWithinMs ?? 15_000;
      const controller = new AbortController();
      const started = Date.now();
      let abortedAt: number | undefined;
      const timer = setTimeout(() => {
        abortedAt = Date.now();
        controller.abort();
      }, abortAfterMs);
      const settled = await build(cancellable, controller.signal);
      const ended = Date.now();
      clearTimeout(timer);
      if (settled.artifact) built.push(settled.artifact);
      expect(
        abortedAt,
        `fixtures.cancellable (${cancellable}) built in ${ended - started} ms, before the abort at ${abortAfterMs} ms: cancellation half-way was not checked. Make its build run for seconds (a build step that sleeps), or lower abortAfterMs.`,
      ).toBeDefined();
      // One that finishes as the abort comes is fine; one still running must stop soon after.
      if (!settled.artifact || ended - abortedAt! >= 50) cancelled(expectCoded(settled, "build() aborted half-way"), "build() aborted half-way");
      expect(
        ended - abortedAt!,
        `build() went on ${ended - abortedAt!} ms after its signal was aborted (allowed: ${stopWithinMs} ms). Likely cause: a program it started is still running. ` +
          "Start programs with context.run (it stops the program's whole process group on abort), pass context.signal to every wait, and stop anything started otherwise when the signal aborts.",
      ).toBeLessThan(stopWithinMs);
    }, timeout);
  });
}
