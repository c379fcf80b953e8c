import { defineCliCommand, LogFollower, sleep, tailLines, UsageError } from "@hop3/core/cli";
import type { WorkerLog } from "@hop3/core";

export const logsCommand = defineCliCommand({
  name: ["logs"],
  summary: "Print an app's worker logs (--follow keeps printing new lines)",
  usage: "hop3 logs NAME [--worker W] [--lines N] [--follow | --json]",
  options: { worker: { type: "string" }, follow: { type: "boolean", short: "f" }, lines: { type: "string", short: "n" } },
  maxPositionals: 1,
  async run({ args, io, distribution, json }) {
    const name = args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const count = Number(args.values.lines ?? 100);
    if (!Number.isInteger(count) || count < 0) throw new UsageError("--lines takes a whole number", this.usage);
    if (args.values.follow && json) throw new UsageError("--follow prints lines as they come; it cannot be combined with --json", this.usage);
    const dist = await distribution();
    const all = await dist.logFiles(name, { signal: io.signal });
    const logs = all.filter((log) => args.values.worker === undefined || log.worker === args.values.worker);
    if (args.values.worker !== undefined && logs.length === 0) {
      throw new UsageError(`${name} has no worker "${args.values.worker}" (workers: ${[...new Set(all.map((l) => l.worker))].join(", ") || "none"})`, this.usage);
    }

    const label = (log: WorkerLog) => `${log.worker}.${log.instance}`;
    const lines = logs.flatMap((log) => tailLines(log.path, count).map((text) => ({ worker: label(log), text })));
    if (!args.values.follow) {
      return { data: { app: name, lines }, text: lines.map((l) => `${l.worker} | ${l.text}`) };
    }
    for (const line of lines) io.stdout.write(`${line.worker} | ${line.text}\n`);
    await follow(logs, label, io);
    return { data: { app: name }, text: [] };
  },
});

/** Prints what is appended to the logs until Ctrl-C, across rotations (see LogFollower). */
async function follow(logs: readonly WorkerLog[], label: (log: WorkerLog) => string, io: { stdout: { write(t: string): unknown }; signal: AbortSignal }): Promise<void> {
  const followers = logs.map((log) => ({ log, follower: new LogFollower(log.path) }));
  while (!io.signal.aborted) {
    for (const { log, follower } of followers) for (const line of follower.poll()) io.stdout.write(`${label(log)} | ${line}\n`);
    await sleep(200);
  }
}
