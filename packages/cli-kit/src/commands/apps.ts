import { defineCliCommand, UsageError } from "@hop3/core/cli";
import { cliKitError } from "../errors.js";

export const appsCommand = defineCliCommand({
  name: ["apps"],
  summary: "List the apps of this Hop3 and their live release",
  usage: "hop3 apps [--json]",
  async run({ distribution }) {
    const apps = (await distribution()).apps().map((app) =>
      "corrupt" in app
        ? { name: app.name, source: null, liveRelease: null, url: null, limits: null, problem: app.corrupt }
        : { name: app.name, source: app.source, liveRelease: app.liveRelease ?? null, url: app.url ?? null, limits: app.limits ?? null },
    );
    const text =
      apps.length === 0
        ? ["no apps yet: deploy one with `hop3 deploy DIR`"]
        : apps.map((a) => ("problem" in a ? `${a.name}  (unreadable: ${a.problem})` : `${a.name}  ${a.url ?? "(no live release)"}  ${a.source}`));
    return { data: { apps }, text };
  },
});

export const destroyCommand = defineCliCommand({
  name: ["destroy"],
  summary: "Remove an app entirely: processes, routes, releases, GC roots, state",
  usage: "hop3 destroy NAME --yes [--json]",
  options: { yes: { type: "boolean" } },
  maxPositionals: 1,
  async run({ args, io, distribution, onStep }) {
    const name = args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const confirm = () => {
      if (!args.values.yes) throw cliKitError("CONFIRMATION_REQUIRED", `Destroying ${name} removes its processes, routes, releases and state; nothing can be restored.`, { details: { app: name } });
    };
    await (await distribution()).destroy(name, { confirm, onStep, signal: io.signal });
    return { data: { app: name, destroyed: true }, text: `${name} is destroyed: nothing of it is left.` };
  },
});
