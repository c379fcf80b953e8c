import { isValidEnvName } from "@hop3/core";
import { requireAppRecord, writeAppRecord } from "../apps/app-record.js";
import { lockApp } from "../apps/lock.js";
import { defineCommand, type Command } from "../command.js";
import { cliError } from "../errors.js";
import { UsageError } from "../usage-error.js";
import { parseAssignments } from "../args.js";

/** Keys whose values are shown masked. */
const SECRET_KEY = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|_KEY$|^KEY$)/i;

export const maskValue = (key: string, value: string): string =>
  SECRET_KEY.test(key) ? (value.length <= 4 ? "****" : `${value.slice(0, 2)}${"*".repeat(Math.min(8, value.length - 2))}`) : value;

const USAGES = {
  show: "hop3 config show NAME [--json]",
  get: "hop3 config get NAME KEY [--json]",
  set: "hop3 config set NAME KEY=VALUE... [--json]",
  unset: "hop3 config unset NAME KEY... [--json]",
} as const;

export function checkKey(key: string): string {
  if (!isValidEnvName(key)) throw cliError("CONFIG_KEY_INVALID", `"${key}" is not a valid environment variable name.`, { details: { key } });
  return key;
}

function configCommand(verb: "show" | "get" | "set" | "unset", summary: string): Command {
  return defineCommand({
    name: ["config", verb],
    summary,
    usage: USAGES[verb],
    maxPositionals: verb === "show" ? 1 : verb === "get" ? 2 : 100,
    async run({ args, distribution }) {
      const usage = USAGES[verb];
      const dist = await distribution();
      const [name, ...rest] = args.positionals;
      if (!name) throw new UsageError("the app name is missing", usage);
      if (verb === "get" && rest.length === 0) throw new UsageError("the key is missing", usage);
      const record = requireAppRecord(dist.home, name);
      if (verb === "show") {
        const shown = Object.fromEntries(Object.entries(record.userEnv).map(([k, v]) => [k, maskValue(k, v)]));
        return { data: { app: name, env: shown }, text: Object.entries(shown).map(([k, v]) => `${k}=${v}`) };
      }
      if (verb === "get") {
        const key = checkKey(rest[0] ?? "");
        const value = record.userEnv[key];
        return { data: { app: name, key, value: value ?? null }, text: value ?? "", exitCode: value === undefined ? 1 : 0 };
      }
      if (rest.length === 0) throw new UsageError(`give at least one ${verb === "set" ? "KEY=VALUE" : "KEY"}`, usage);
      const changes = verb === "set" ? parseAssignments(rest, usage) : Object.fromEntries(rest.map((key) => [checkKey(key), undefined]));
      // Read again under the lock: a deploy running meanwhile may have changed the record.
      const unlock = lockApp(dist.home, name, `config ${verb}`);
      try {
        const current = requireAppRecord(dist.home, name);
        const env: Record<string, string> = { ...current.userEnv };
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined) delete env[key];
          else env[key] = value;
        }
        writeAppRecord(dist.home, { ...current, userEnv: env });
      } finally {
        unlock();
      }
      return { data: { app: name, keys: rest.map((i) => i.split("=")[0]) }, text: `${name}: config ${verb === "set" ? "set" : "removed"}; it applies on the next start or restart (\`hop3 restart ${name}\`).` };
    },
  });
}

export const configCommands: readonly Command[] = [
  configCommand("show", "Show the values set for an app (secrets masked)"),
  configCommand("get", "Print one value set for an app"),
  configCommand("set", "Set values for an app; applied on the next start or restart"),
  configCommand("unset", "Remove values set for an app"),
];
