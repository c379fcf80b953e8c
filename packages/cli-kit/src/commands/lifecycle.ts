import { defineCliCommand, limitsText, readableSize, UsageError, type CliCommand, type CliCommandInput } from "@hop3/core/cli";
import type { DeploymentStatus, VolumeStatus } from "@hop3/core";

function appArgument(input: CliCommandInput, usage: string): string {
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

/** start, stop, restart: the same shape, one pipeline method each. */
function lifecycleCommand(verb: "start" | "stop" | "restart", summary: string): CliCommand {
  const usage = `hop3 ${verb} NAME [--json]`;
  return defineCliCommand({
    name: [verb],
    summary,
    usage,
    maxPositionals: 1,
    async run(input) {
      const name = appArgument(input, usage);
      const status = await (await input.distribution())[verb](name, { onStep: input.onStep, signal: input.io.signal });
      return { data: status, text: statusText(status) };
    },
  });
}

export const startCommand = lifecycleCommand("start", "Start an app's live release again");
export const stopCommand = lifecycleCommand("stop", "Stop an app's processes and routes (its state is kept)");
export const restartCommand = lifecycleCommand("restart", "Restart an app's processes, applying changed config");

export const statusCommand = defineCliCommand({
  name: ["status"],
  summary: "Show an app's processes, ports and URL",
  usage: "hop3 status NAME [--json]",
  maxPositionals: 1,
  async run(input) {
    const name = appArgument(input, this.usage);
    const { app, deployment, release, live, limits, volumes } = await (await input.distribution()).status(name, { signal: input.io.signal });
    if (!release) return { data: { app, state: "absent", workers: [], release: null, limits: null, volumes }, text: `${app}: never deployed` };
    return {
      data: { ...deployment, release: live ? release.id : null, limits: limits ?? null, volumes },
      text: [
        ...statusText(deployment),
        ...(limits ? [`  limits: ${limitsText(limits)}`] : []),
        ...volumes.map(volumeText),
        ...(live ? [] : [`no live release: the last deploy (${release.id}) failed: ${release.error?.message.split("\n")[0] ?? "unknown error"}`]),
      ],
    };
  },
});

/** `  volume store: data/store -> /var/lib/hop3/apps/blog/volumes/store (12.0 KiB)`; a volume no release links says so. */
function volumeText(volume: VolumeStatus): string {
  const size = volume.sizeBytes === undefined ? "" : ` (${readableSize(volume.sizeBytes)}${volume.sizeBytes < 1024 ? " bytes" : ""})`;
  return `  volume ${volume.name}: ${volume.target ?? "(not linked by this release, kept)"} -> ${volume.path}${size}`;
}

export const scaleCommand = defineCliCommand({
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
    const status = await distribution.scale(name, scale, { onStep: input.onStep, signal: input.io.signal });
    return { data: status, text: statusText(status) };
  },
});
