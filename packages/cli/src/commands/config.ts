import { isValidEnvName } from "@hop3/core";
import { requireAppRecord, writeAppRecord } from "../apps/app-record.js";
import { lockApp } from "../apps/lock.js";
import { defineCommand, type Command } from "../command.js";
import { cliError } from "../errors.js";
import { UsageError } from "../usage-error.js";

/** Keys whose values are shown masked. */
const SECRET_KEY = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|_KEY$|^KEY$)/i;

export const maskValue = (key: string, value: string): string =>
  SECRET_KEY.test(key) ? (value.length <= 4 ? "****" : `${value.slice(0, 2)}${"*".repeat(Math.min(8, value.length - 2))}`) : value;

const USAGE = "hop3 config show|get|set|unset NAME [KEY[=VALUE]]... [--json]";

function checkKey(key: string): string {
  if (!isValidEnvName(key)) throw cliError("CONFIG_KEY_INVALID", `"${key}" is not a valid environment variable name.`, { details: { key } });
  return key;
}

function configCommand(verb: "show" | "get" | "set" | "unset", summary: string): Command {
  return defineCommand({
    name: ["config", verb],
    summary,
    usage: USAGE.replace("show|get|set|unset", verb),
    maxPositionals: 50,
    async run({ args, distribution }) {
      const dist = await distribution();
      const [name, ...rest] = args.positionals;
      if (!name) throw new UsageError("the app name is missing", USAGE);
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
      if (rest.length === 0) throw new UsageError(`give at least one ${verb === "set" ? "KEY=VALUE" : "KEY"}`, USAGE);
      const env = { ...record.userEnv };
      for (const item of rest) {
        if (verb === "set") {
          const equals = item.indexOf("=");
          if (equals <= 0) throw new UsageError(`"${item}" is not of the form KEY=VALUE`, USAGE);
          env[checkKey(item.slice(0, equals))] = item.slice(equals + 1);
        } else {
          delete env[checkKey(item)];
        }
      }
      const unlock = lockApp(dist.home, name, `config ${verb}`);
      try {
        writeAppRecord(dist.home, { ...record, userEnv: env });
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
