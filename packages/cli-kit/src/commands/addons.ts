import type { AttachOutcome } from "@hop3/core";
import { defineCliCommand, readableSize, type CliCommand } from "@hop3/core/cli";
import { cliKitError } from "../errors.js";

export const addonsListCommand = defineCliCommand({
  name: ["addons"],
  summary: "List the addon instances (databases, caches) and the apps they are attached to",
  usage: "hop3 addons [--json]",
  maxPositionals: 0,
  async run({ distribution }) {
    const addons = (await distribution()).addons();
    const text =
      addons.length === 0
        ? ["no addons yet: make one with `hop3 addons create postgres NAME`, or declare it in hop3.toml [[addons]]"]
        : addons.map((a) => `${a.name}  ${a.kind}  ${a.attachedTo.length === 0 ? "(not attached)" : `attached to ${a.attachedTo.join(", ")}`}`);
    return { data: { addons }, text };
  },
});

export const addonsCreateCommand = defineCliCommand({
  name: ["addons", "create"],
  summary: "Make an addon instance of a kind (postgres, redis...): its own database and credentials",
  usage: "hop3 addons create KIND NAME [--json]",
  positionals: [{ name: "KIND" }, { name: "NAME" }],
  async run({ args, io, distribution, onStep }) {
    const [kind, name] = args.positionals as [string, string];
    const record = await (await distribution()).createAddon(kind, name, { onStep, signal: io.signal });
    return { data: record, text: `${record.name} (${record.kind}) is created; attach it with \`hop3 addons attach ${record.name} APP\`.` };
  },
});

const attachText = (verb: "attached to" | "detached from", outcome: AttachOutcome) =>
  `${outcome.addon} is ${verb} ${outcome.app} (${outcome.variables.join(", ") || "no variables"}); ${outcome.restarted ? `${outcome.app} was restarted` : `applied when ${outcome.app} next starts`}.`;

export const addonsAttachCommand = defineCliCommand({
  name: ["addons", "attach"],
  summary: "Give an app an addon's variables (DATABASE_URL...): a running app restarts without downtime",
  usage: "hop3 addons attach NAME APP [--json]",
  positionals: [{ name: "NAME" }, { name: "APP" }],
  async run({ args, io, distribution, onStep }) {
    const [name, app] = args.positionals as [string, string];
    const outcome = await (await distribution()).attachAddon(name, app, { onStep, signal: io.signal });
    return { data: outcome, text: attachText("attached to", outcome) };
  },
});

export const addonsDetachCommand = defineCliCommand({
  name: ["addons", "detach"],
  summary: "Take an addon away from an app (its access and variables); the data stays",
  usage: "hop3 addons detach NAME APP [--json]",
  positionals: [{ name: "NAME" }, { name: "APP" }],
  async run({ args, io, distribution, onStep }) {
    const [name, app] = args.positionals as [string, string];
    const outcome = await (await distribution()).detachAddon(name, app, { onStep, signal: io.signal });
    return { data: outcome, text: attachText("detached from", outcome) };
  },
});

export const addonsDestroyCommand = defineCliCommand({
  name: ["addons", "destroy"],
  summary: "Drop an addon instance and its data for good (attached to a running app: type its name again with --confirm)",
  usage: "hop3 addons destroy NAME --yes [--confirm NAME] [--json]",
  options: {
    yes: { type: "boolean", description: "yes, drop it and its data" },
    confirm: { type: "string", valueName: "NAME", description: "its name again, when it is attached to a running app" },
  },
  positionals: [{ name: "NAME" }],
  async run({ args, io, distribution, onStep }) {
    const [name] = args.positionals as [string];
    if (!args.values.yes) throw cliKitError("CONFIRMATION_REQUIRED", `Destroying addon ${name} drops its data; nothing can be restored but from a backup.`, { details: { addon: name } });
    const confirmName = typeof args.values.confirm === "string" ? args.values.confirm : undefined;
    await (await distribution()).destroyAddon(name, { onStep, signal: io.signal, ...(confirmName !== undefined && { confirmName }) });
    return { data: { addon: name, destroyed: true }, text: `${name} is destroyed: its data is gone.` };
  },
});

export const addonsInfoCommand = defineCliCommand({
  name: ["addons", "info"],
  summary: "Show an addon instance: its kind, apps, server status and variables (passwords masked unless --show-url)",
  usage: "hop3 addons info NAME [--show-url] [--json]",
  options: { "show-url": { type: "boolean", description: "show the password in DATABASE_URL, PGPASSWORD..." } },
  positionals: [{ name: "NAME" }],
  async run({ args, io, distribution }) {
    const [name] = args.positionals as [string];
    const info = await (await distribution()).addonInfo(name, { signal: io.signal, showSecrets: args.values["show-url"] === true });
    const text = [
      `${info.name} (${info.kind}), created ${info.createdAt}`,
      `attached to: ${info.attachedTo.length === 0 ? "no app" : info.attachedTo.join(", ")}`,
      `status: ${info.status.running ? "running" : "not running"}${info.status.bytes !== undefined ? `, ${readableSize(info.status.bytes)}` : ""}`,
      ...info.status.details.map((line) => `  ${line}`),
      ...Object.entries(info.env).map(([key, value]) => `${key}=${value}`),
    ];
    return { data: info, text };
  },
});

export const addonsCommands: readonly CliCommand[] = [addonsListCommand, addonsCreateCommand, addonsAttachCommand, addonsDetachCommand, addonsDestroyCommand, addonsInfoCommand];
