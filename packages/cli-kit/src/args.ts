import { parseArgs } from "node:util";
import { checkEnvKey, UsageError, type CliCommand, type CliOption, type CliOptionSpec, type ParsedArgs } from "@hop3/core/cli";

/** Every command takes --json and --help. */
const COMMON: CliOptionSpec = {
  json: { type: "boolean", description: "print the result as one JSON object on stdout" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** What parsing needs of a command: its declaration, not its code. */
export type CommandDeclaration = Pick<CliCommand, "name" | "usage" | "options" | "positionals" | "maxPositionals">;

/**
 * Parses a command's arguments strictly, against its declaration: an unknown option, a missing
 * value, a missing or extra word is a UsageError naming it (exit 2).
 */
export function parseCommandArgs(argv: readonly string[], command: CommandDeclaration, program = "hop3"): ParsedArgs {
  const usage = usageLine(command, program);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseArgsOptions({ ...command.options, ...COMMON }), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ""), usage);
  }
  const values = parsed.values as ParsedArgs["values"];
  if (!values.help) checkPositionals(parsed.positionals, command, usage);
  return { values, positionals: parsed.positionals };
}

function checkPositionals(words: readonly string[], command: CommandDeclaration, usage: string): void {
  const declared = command.positionals;
  const max = declared === undefined ? (command.maxPositionals ?? 0) : declared.some((p) => p.variadic) ? Infinity : declared.length;
  if (words.length > max) throw new UsageError(`unexpected argument "${words[max]}"`, usage);
  const missing = declared?.find((p, i) => !p.optional && words[i] === undefined);
  if (missing) throw new UsageError(`missing ${missing.name}`, usage);
}

/** node's parseArgs refuses keys it does not know: only its own are passed. */
function parseArgsOptions(spec: CliOptionSpec): NonNullable<Parameters<typeof parseArgs>[0]>["options"] {
  return Object.fromEntries(Object.entries(spec).map(([name, { description: _description, valueName: _valueName, ...option }]) => [name, option]));
}

/** The usage line: the command's own, else made from its declaration. Written for `hop3`, shown under the program's name. */
export function usageLine(command: CommandDeclaration, program = "hop3"): string {
  const line = command.usage ?? [program, ...command.name, ...(command.positionals ?? []).map(positionalUsage), ...Object.entries(command.options ?? {}).map(([name, option]) => `[${optionUsage(name, option)}]`)].join(" ");
  return forProgram(line, program);
}

/** A line written for `hop3`, said with the program's own name (`hop3-nix`...); said once, never twice. */
export const forProgram = (line: string, program: string): string => line.replace(/^hop3(?= |$)/, program);

const positionalUsage = (p: { name: string; optional?: boolean; variadic?: boolean }) => {
  const word = `${p.name}${p.variadic ? "..." : ""}`;
  return p.optional ? `[${word}]` : word;
};

const optionUsage = (name: string, option: CliOption) => (option.type === "string" ? `--${name} ${option.valueName ?? name.toUpperCase()}` : `--${name}`);

/** A command's `--help`: summary, usage, description, then its arguments and options, each with its line. */
export function commandHelp(command: CommandDeclaration & Pick<CliCommand, "summary" | "description">, program = "hop3"): string {
  const rows = (entries: readonly (readonly [string, string | undefined])[]) => {
    const width = Math.max(...entries.map(([left]) => left.length));
    return entries.map(([left, right]) => `  ${right ? `${left.padEnd(width)}  ${right}` : left}`);
  };
  const positionals = (command.positionals ?? []).map((p) => [positionalUsage(p), p.description] as const);
  const options = Object.entries({ ...command.options, ...COMMON }).map(([name, option]) => [`${option.short ? `-${option.short}, ` : ""}${optionUsage(name, option)}`, option.description] as const);
  return [
    command.summary,
    "",
    `usage: ${usageLine(command, program)}`,
    ...(command.description ? ["", command.description] : []),
    ...(positionals.length > 0 ? ["", "Arguments:", ...rows(positionals)] : []),
    "",
    "Options:",
    ...rows(options),
  ].join("\n");
}

/** `K=V` pairs into an object; a malformed pair is a UsageError, an invalid name CONFIG_KEY_INVALID. */
export function parseAssignments(pairs: readonly string[] | undefined, usage: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`"${pair}" is not of the form KEY=VALUE`, usage);
    const key = pair.slice(0, equals);
    checkEnvKey(key);
    result[key] = pair.slice(equals + 1);
  }
  return result;
}
