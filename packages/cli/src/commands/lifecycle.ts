import type { DeploymentStatus, Distribution } from "@hop3/core";
import { requireAppRecord, writeAppRecord, type AppRecord } from "../apps/app-record.js";
import { deployContext } from "../apps/context.js";
import { lockApp } from "../apps/lock.js";
import { limitsText } from "../apps/limits-text.js";
import { currentRelease, listReleases } from "../apps/releases.js";
import { cliError } from "../errors.js";
import { defineCommand, type Command, type CommandInput } from "../command.js";
import { UsageError } from "../usage-error.js";

/** The deployer of the app's live release; APP_NOT_LIVE when it has none. */
function liveDeployer(distribution: Distribution, record: AppRecord) {
  const live = listReleases(distribution.home, record.name).find((r) => r.id === record.liveRelease);
  if (!live) throw cliError("APP_NOT_LIVE", `${record.name} has no live release: its last deploy failed, or it was never deployed.`, { details: { app: record.name } });
  return distribution.deployerFor(live.artifact);
}

function appArgument(input: CommandInput, usage: string): string {
  const name = input.args.positionals[0];
  if (!name) throw new UsageError("the app name is missing", usage);
  return name;
}

export function statusText(status: DeploymentStatus): string[] {
  const lines = [`${status.app}: ${status.state}${status.url ? `  ${status.url}` : ""}`];
  for (const w of status.workers) {
    lines.push(`  ${w.worker}.${w.instance}: ${w.state}${w.pid ? ` pid ${w.pid}` : ""}${w.port ? ` port ${w.port}` : ""}${w.detail ? ` (${w.detail})` : ""}`);
  }
  return lines;
}

/** start, stop, restart: the same shape, one deployer method each. */
function lifecycleCommand(verb: "start" | "stop" | "restart", summary: string): Command {
  const usage = `hop3 ${verb} NAME [--json]`;
  return defineCommand({
    name: [verb],
    summary,
    usage,
    maxPositionals: 1,
    async run(input) {
      const distribution = await input.distribution();
      const unlock = lockApp(distribution.home, appArgument(input, usage), verb);
      try {
        const record = requireAppRecord(distribution.home, appArgument(input, usage));
        const deployer = liveDeployer(distribution, record);
        const status = await input.reporter.step(`${verb} ${record.name}`, (logger) => deployer[verb](record.name, deployContext(distribution, record, input.io, logger)));
        return { data: status, text: statusText(status) };
      } finally {
        unlock();
      }
    },
  });
}

export const startCommand = lifecycleCommand("start", "Start an app's live release again");
export const stopCommand = lifecycleCommand("stop", "Stop an app's processes and routes (its state is kept)");
export const restartCommand = lifecycleCommand("restart", "Restart an app's processes, applying changed config");

export const statusCommand = defineCommand({
  name: ["status"],
  summary: "Show an app's processes, ports and URL",
  usage: "hop3 status NAME [--json]",
  maxPositionals: 1,
  async run(input) {
    const distribution = await input.distribution();
    const record = requireAppRecord(distribution.home, appArgument(input, this.usage));
    // A failed first deploy has no live release, but its (stopped) workers still have a status.
    const release = currentRelease(distribution.home, record.name, record.liveRelease);
    if (!release) return { data: { app: record.name, state: "absent", workers: [], release: null, limits: null }, text: `${record.name}: never deployed` };
    const status = await distribution.deployerFor(release.artifact).status(record.name, deployContext(distribution, record, input.io));
    const live = release.id === record.liveRelease;
    // What the release runs with: resolved at its deploy (hop3.toml within the server's maximum, else the defaults).
    const limits = release.limits ?? record.limits ?? null;
    return {
      data: { ...status, release: live ? release.id : null, limits },
      text: [
        ...statusText(status),
        ...(limits ? [`  limits: ${limitsText(limits)}`] : []),
        ...(live ? [] : [`no live release: the last deploy (${release.id}) failed: ${release.error?.message.split("\n")[0] ?? "unknown error"}`]),
      ],
    };
  },
});

export const scaleCommand = defineCommand({
  name: ["scale"],
  summary: "Run N instances of a worker (each web instance gets its own port)",
  usage: "hop3 scale NAME WORKER=N... [--json]",
  maxPositionals: 20,
  async run(input) {
    const distribution = await input.distribution();
    const [name, ...pairs] = input.args.positionals;
    if (!name || pairs.length === 0) throw new UsageError("give the app name and at least one WORKER=N", this.usage);
    const scale: Record<string, number> = {};
    for (const pair of pairs) {
      const match = /^([A-Za-z][A-Za-z0-9_-]*)=(\d{1,4})$/.exec(pair);
      if (!match) throw new UsageError(`"${pair}" is not of the form WORKER=N (N a whole number)`, this.usage);
      scale[match[1]!] = Number(match[2]);
    }
    const unlock = lockApp(distribution.home, name, "scale");
    try {
      const record = requireAppRecord(distribution.home, name);
      const deployer = liveDeployer(distribution, record);
      const next = { ...record, scale: { ...record.scale, ...scale } };
      const status = await input.reporter.step(`scale ${name}`, (logger) => deployer.scale(name, deployContext(distribution, next, input.io, logger)));
      writeAppRecord(distribution.home, next);
      return { data: status, text: statusText(status) };
    } finally {
      unlock();
    }
  },
});
