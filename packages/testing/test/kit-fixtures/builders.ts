import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineErrors, type BuildArtifact, type Builder, type BuildContext } from "@hop3/core";

// Builders for testing the kit itself: one keeps the contract, each other breaks one rule.
const { error } = defineErrors({
  SITE_MISSING: { title: "No site.txt", hint: "Add a site.txt." },
  SITE_CANCELLED: { title: "Cancelled", hint: "Run it again." },
});

const artifactOf = (context: BuildContext, out: string): BuildArtifact => ({
  apiVersion: 1,
  kind: "static",
  location: out,
  builder: "site",
  appName: context.app.name,
  buildId: context.releaseId,
  builtAt: new Date().toISOString(),
  metadata: {},
  runtime: { workers: { static: out }, env: {}, path: [], workingDir: out },
});

export function goodBuilder(): Builder {
  return {
    apiVersion: 1,
    name: "site",
    usesToolchains: false,
    accept: ({ app }) => (existsSync(join(app.dir, "site.txt")) ? { accepted: true, reason: "site.txt found" } : { accepted: false, reason: "no site.txt" }),
    async build(context) {
      if (context.signal.aborted) throw error("SITE_CANCELLED", "cancelled");
      if (!existsSync(join(context.app.dir, "site.txt"))) throw error("SITE_MISSING", "no site.txt");
      // A site.txt of "slow" builds for seconds, through context.run: the kit's cancellable fixture.
      if (readFileSync(join(context.app.dir, "site.txt"), "utf8").trim() === "slow") await context.run("sh", ["-c", "sleep 30 && echo built"]);
      const out = join(context.appStateDir, context.releaseId);
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, "index.html"), "hello");
      return artifactOf(context, out);
    },
  };
}

/** Writes a marker file while only asked whether it accepts. */
export function sideEffectBuilder(): Builder {
  const good = goodBuilder();
  return { ...good, accept: (context) => (writeFileSync(join(context.app.dir, ".accepted"), "x"), good.accept(context)) };
}

/** Builds even when cancelled. */
export function deafBuilder(): Builder {
  const good = goodBuilder();
  return { ...good, build: (context) => good.build({ ...context, signal: new AbortController().signal }) };
}

/** Fails with a plain exception instead of a coded error. */
export function uncodedBuilder(): Builder {
  const good = goodBuilder();
  return {
    ...good,
    build: async (context) => {
      if (!existsSync(join(context.app.dir, "site.txt"))) throw new TypeError("cannot read site.txt");
      return good.build(context);
    },
  };
}

/** Returns an artifact that breaks the schema (no runtime.env). */
export function sloppyBuilder(): Builder {
  const good = goodBuilder();
  return {
    ...good,
    build: async (context) => {
      const artifact = await good.build(context);
      const { env: _env, ...runtime } = artifact.runtime;
      return { ...artifact, runtime } as unknown as BuildArtifact;
    },
  };
}

/** Waits for a program it started itself, deaf to the signal: an aborted build runs on. */
export function lingeringBuilder(): Builder {
  const good = goodBuilder();
  return {
    ...good,
    build: async (context) => {
      await new Promise((done) => spawn("sleep", ["3"], { stdio: "ignore" }).on("exit", done));
      if (context.signal.aborted) throw error("SITE_CANCELLED", "cancelled");
      return good.build(context);
    },
  };
}
