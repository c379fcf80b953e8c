import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger, definePlugin, Hop3Tokens, type CommandRunner, type RunOptions } from "@hop3/core";
import { SiteBuilder } from "./guide/site-builder.js";
import { makeApp } from "./helpers.js";

const guide = readFileSync(new URL("../../../docs/guides/writing-a-plugin.md", import.meta.url), "utf8");
const example = readFileSync(new URL("./guide/site-builder.ts", import.meta.url), "utf8");

describe("the injection example of docs/guides/writing-a-plugin.md", () => {
  it("is this file, word for word", () => {
    expect(guide).toContain(example.trim());
  });

  it("gets its build's services: a runner swapped in by the distribution, the build's logger, the clock", async () => {
    const calls: Array<{ file: string; args: readonly string[]; options: RunOptions }> = [];
    const recording: CommandRunner = async (file, args, options = {}) => {
      calls.push({ file, args, options });
      return { command: file, exitCode: 0, stdout: "12\tsite\n", stderr: "", lastLines: [], durationMs: 0 };
    };
    const fixed = new Date("2026-12-06T05:00:00.000Z");
    const distribution = createDistribution({
      env: { ...process.env, HOP3_HOME: mkdtempSync(join(tmpdir(), "hop3-guide-")) },
      plugins: [definePlugin({ name: "guide/site", apiVersion: 1, register: (registry) => registry.addBuilder(SiteBuilder) })],
      services: { [Hop3Tokens.CommandRunner]: recording, [Hop3Tokens.Clock]: { now: () => fixed } },
    });
    const app = makeApp({ "site/index.html": "<h1>hi</h1>" });
    const logger = createMemoryLogger();
    const artifact = await distribution.build(await distribution.plan(app), { logger });

    expect(calls.map((call) => [call.file, ...call.args])).toEqual([["du", "-sk", join(app, "site")]]);
    expect(calls[0]!.options.logger).toBe(logger);
    expect(logger.entries).toContainEqual({ level: "info", text: `Publishing ${join(app, "site")} (12 KiB).` });
    expect(artifact).toMatchObject({ kind: "site", builder: "site", builtAt: fixed.toISOString(), runtime: { workers: { static: "site" } } });
  });
});
