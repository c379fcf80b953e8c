import { type CliCommand, defineCliCommand, readableSize, UsageError } from "@hop3/core/cli";

const USAGES = {
  create: "hop3 backup create NAME [--json]",
  list: "hop3 backup list [NAME] [--json]",
  restore: "hop3 backup restore ID [--to NEW_NAME] [--force] [--json]",
} as const;

export const backupCreateCommand = defineCliCommand({
  name: ["backup", "create"],
  summary: "Write one archive of an app: its record, values, live source and its addons' data",
  usage: USAGES.create,
  maxPositionals: 1,
  async run({ args, io, distribution, onStep }) {
    const name = args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const backup = await (await distribution()).backup(name, { onStep, signal: io.signal });
    const addons = backup.addons.length === 0 ? "" : `, ${backup.addons.map((a) => `${a.instance} (${a.kind})`).join(", ")}`;
    return { data: backup, text: [`${backup.id}: ${readableSize(backup.bytes)}, ${backup.sourceFiles} source files${addons}`, backup.file] };
  },
});

export const backupListCommand = defineCliCommand({
  name: ["backup", "list"],
  summary: "List the backup archives, oldest first (of one app when named)",
  usage: USAGES.list,
  maxPositionals: 1,
  async run({ args, distribution }) {
    const name = args.positionals[0];
    const backups = await (await distribution()).backups(name);
    const text = backups.map((b) =>
      "corrupt" in b ? `${b.id}  (unreadable: ${b.corrupt})` : `${b.id}  ${b.createdAt}  ${readableSize(b.bytes)}  release ${b.release}${b.addons.length > 0 ? `  ${b.addons.map((a) => `${a.instance} (${a.kind})`).join(", ")}` : ""}`,
    );
    return { data: { backups }, text: text.length > 0 ? text : [name === undefined ? "no backups yet: make one with `hop3 backup create NAME`" : `${name} has no backup`] };
  },
});

export const backupRestoreCommand = defineCliCommand({
  name: ["backup", "restore"],
  summary: "Verify a whole archive, then restore the app (or a new one, --to) and its addons' data, and deploy it",
  usage: USAGES.restore,
  options: {
    to: { type: "string", valueName: "NEW_NAME", description: "restore as a new app, with new addon instances named after it" },
    force: { type: "boolean", description: "restore over the app when it exists: its source, values and addon data are replaced" },
  },
  maxPositionals: 1,
  async run({ args, io, distribution, onStep }) {
    const id = args.positionals[0];
    if (!id) throw new UsageError("the backup id is missing (`hop3 backup list`)", this.usage);
    const to = typeof args.values.to === "string" ? args.values.to : undefined;
    const result = await (await distribution()).restoreBackup(id, { onStep, signal: io.signal, force: args.values.force === true, ...(to !== undefined && { to }) });
    const addons = result.addons.map((a) => `${a.instance} (${a.kind}${a.created ? ", new" : ""})`);
    return {
      data: result,
      text: [`${result.app} is restored from ${result.id} and live with release ${result.deploy.release}: ${result.deploy.url}`, ...(addons.length > 0 ? [`addons: ${addons.join(", ")}`] : [])],
    };
  },
});

export const backupCommands: readonly CliCommand[] = [backupCreateCommand, backupListCommand, backupRestoreCommand];
