import { checkEnvKey, defineCliCommand, UsageError, type CliCommand } from "@hop3/core/cli";
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

function configCommand(verb: "show" | "get" | "set" | "unset", summary: string): CliCommand {
  return defineCliCommand({
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
      const env = dist.appEnv(name);
      if (verb === "show") {
        const shown = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, maskValue(k, v)]));
        return { data: { app: name, env: shown }, text: Object.entries(shown).map(([k, v]) => `${k}=${v}`) };
      }
      if (verb === "get") {
        const key = checkEnvKey(rest[0] ?? "");
        const value = env[key];
        return { data: { app: name, key, value: value ?? null }, text: value ?? "", exitCode: value === undefined ? 1 : 0 };
      }
      if (rest.length === 0) throw new UsageError(`give at least one ${verb === "set" ? "KEY=VALUE" : "KEY"}`, usage);
      if (verb === "set") dist.setEnv(name, parseAssignments(rest, usage));
      else dist.unsetEnv(name, rest);
      return { data: { app: name, keys: rest.map((i) => i.split("=")[0]) }, text: `${name}: config ${verb === "set" ? "set" : "removed"}; it applies on the next start or restart (\`hop3 restart ${name}\`).` };
    },
  });
}

export const configCommands: readonly CliCommand[] = [
  configCommand("show", "Show the values set for an app (secrets masked)"),
  configCommand("get", "Print one value set for an app"),
  configCommand("set", "Set values for an app; applied on the next start or restart"),
  configCommand("unset", "Remove values set for an app"),
];
