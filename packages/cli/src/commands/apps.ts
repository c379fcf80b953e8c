import { rmSync } from "node:fs";
import { appStateDir, Hop3Error } from "@hop3/core";
import { listAppRecords, requireAppRecord } from "../apps/app-record.js";
import { deployContext } from "../apps/context.js";
import { lockApp } from "../apps/lock.js";
import { listReleases } from "../apps/releases.js";
import { defineCommand } from "../command.js";
import { cliError } from "../errors.js";
import { UsageError } from "../usage-error.js";

export const appsCommand = defineCommand({
  name: ["apps"],
  summary: "List the apps of this Hop3 and their live release",
  usage: "hop3 apps [--json]",
  async run({ distribution }) {
    const dist = await distribution();
    const apps = listAppRecords(dist.home).map((record) => ({
      name: record.name,
      source: record.source,
      liveRelease: record.liveRelease ?? null,
      url: record.liveRelease ? dist.router().urlFor(record.name) : null,
    }));
    const text = apps.length === 0 ? ["no apps yet: deploy one with `hop3 deploy DIR`"] : apps.map((a) => `${a.name}  ${a.url ?? "(no live release)"}  ${a.source}`);
    return { data: { apps }, text };
  },
});

export const destroyCommand = defineCommand({
  name: ["destroy"],
  summary: "Remove an app entirely: processes, routes, releases, GC roots, state",
  usage: "hop3 destroy NAME --yes [--json]",
  options: { yes: { type: "boolean" } },
  maxPositionals: 1,
  async run({ args, io, distribution, reporter }) {
    const name = args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const dist = await distribution();
    const record = requireAppRecord(dist.home, name);
    if (!args.values.yes) throw cliError("CONFIRMATION_REQUIRED", `Destroying ${name} removes its processes, routes, releases and state; nothing can be restored.`, { details: { app: name } });
    const unlock = lockApp(dist.home, name, "destroy");
    try {
      const releases = listReleases(dist.home, name);
      const context = deployContext(dist, record, io);
      // Every deployer that ever ran a release of the app cleans up after itself.
      const deployers = new Set(releases.map((r) => r.deployer));
      for (const deployer of dist.registry.deployers().filter((d) => deployers.has(d.name))) {
        await reporter.step(`remove ${name} from ${deployer.name}`, (logger) => deployer.destroy(name, { ...context, logger }));
      }
      await dist.router().remove(name, context);
      for (const release of releases) {
        const builder = dist.registry.builders().find((b) => b.name === release.builder);
        await builder?.discard?.(release.artifact, { ...dist.operationContext({ signal: io.signal }), appStateDir: appStateDir(dist.home, name) }).catch((error: unknown) => {
          reporter.note(`Release ${release.id}: ${Hop3Error.is(error) ? error.message : String(error)}`);
        });
      }
    } finally {
      unlock();
    }
    rmSync(appStateDir(dist.home, name), { recursive: true, force: true });
    return { data: { app: name, destroyed: true }, text: `${name} is destroyed: nothing of it is left.` };
  },
});
