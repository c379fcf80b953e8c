import { defineCliCommand, UsageError } from "@hop3/core/cli";
import type { Release } from "@hop3/core";

const HIDDEN = "********";
const hideValues = (env: Readonly<Record<string, string>>) => Object.fromEntries(Object.keys(env).map((key) => [key, HIDDEN]));

/** A release as listed: the names of its values, never the values (generated secrets are among them; `config show` masks what it shows). */
const listed = (release: Release): Release => (release.env ? { ...release, env: { app: hideValues(release.env.app), user: hideValues(release.env.user) } } : release);

export const releasesCommand = defineCliCommand({
  name: ["releases"],
  summary: "List an app's kept releases, newest first: id, status, builder, source",
  usage: "hop3 releases NAME [--json]",
  maxPositionals: 1,
  async run({ args, distribution }) {
    const name = args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const releases = (await distribution()).releases(name);
    const text = releases.map((r) => `${r.id}  ${r.status.padEnd(11)} ${r.builder.padEnd(7)} ${r.artifact.buildId}  ${r.source}${r.error ? `  (${r.error.code})` : ""}`);
    return { data: releases.map(listed), text: text.length > 0 ? text : [`${name} has no release`] };
  },
});

export const rollbackCommand = defineCliCommand({
  name: ["rollback"],
  summary: "Start the previous (or the named) release again, through the health gate, without building",
  usage: "hop3 rollback NAME [RELEASE] [--json]",
  maxPositionals: 2,
  async run({ args, io, distribution, onStep }) {
    const [name, release] = args.positionals;
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const result = await (await distribution()).rollback(name, { onStep, signal: io.signal, ...(release !== undefined && { release }) });
    return { data: result, text: [`${result.app} is live with release ${result.release}: ${result.url}`] };
  },
});
