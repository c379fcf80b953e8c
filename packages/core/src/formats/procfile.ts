import { coreError } from "../error-codes.js";
import { isValidWorkerName } from "../schemas/names.js";
import { where } from "./hop3-toml.js";

/** What a Procfile line declares, following the original Hop3 (and piku). */
export type ProcfileEntryKind = "http" | "static" | "cron" | "hook" | "worker";

export interface ProcfileEntry {
  readonly name: string;
  readonly command: string;
  readonly kind: ProcfileEntryKind;
  /** 1-based line number, for messages. */
  readonly line: number;
}

export interface CronJob {
  readonly name: string;
  /** The five cron fields, space-separated. */
  readonly schedule: string;
  readonly command: string;
  readonly line: number;
}

export interface Procfile {
  readonly entries: readonly ProcfileEntry[];
}

/** Workers that answer HTTP; an app has at most one of them. */
export const HTTP_WORKERS: readonly string[] = ["web", "wsgi", "jwsgi", "rwsgi"];
/**
 * Commands run once at a point of the app's life, never as daemons: `preflight` and `prebuild`
 * before the build, `postbuild` after it, `prerun` (old name `release`) before the workers start.
 */
export const HOOKS: readonly string[] = ["preflight", "prebuild", "postbuild", "prerun", "release"];

/** `cron`, `cron1`, `cron-nightly`...: piku's convention for several scheduled jobs. */
const CRON_NAME = /^cron([-_0-9][A-Za-z0-9_-]*)?$/;

/** True for a worker name that declares a scheduled job (`cron`, `cron2`, `cron-nightly`...). */
export const isCronWorker = (name: string): boolean => CRON_NAME.test(name);

export function procfileEntryKind(name: string): ProcfileEntryKind {
  if (HTTP_WORKERS.includes(name)) return "http";
  if (name === "static") return "static";
  if (HOOKS.includes(name)) return "hook";
  if (CRON_NAME.test(name)) return "cron";
  return "worker";
}

/** Parses a Procfile; each error is coded and names the line. */
export function parseProcfile(source: string, file = "Procfile"): Procfile {
  const entries: ProcfileEntry[] = [];
  const seen = new Map<string, number>();
  for (const [index, raw] of source.split(/\r?\n/).entries()) {
    const line = index + 1;
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) continue;

    const colon = text.indexOf(":");
    if (colon === -1) {
      throw coreError("PROCFILE_SYNTAX", `${where(file, line)}: "${clip(text)}" has no colon; expected \`name: command\`.`, {
        details: { file, line },
      });
    }
    const name = text.slice(0, colon).trim();
    const command = text.slice(colon + 1).trim();
    if (name === "") {
      throw coreError("PROCFILE_SYNTAX", `${where(file, line)}: the worker name before the colon is empty.`, {
        hint: "Start the line with the worker's name, e.g. `web: python app.py`.",
        details: { file, line },
      });
    }
    if (/\s/.test(name)) {
      throw coreError("PROCFILE_SYNTAX", `${where(file, line)}: "${clip(text)}" has no colon after the worker name; expected \`name: command\`.`, {
        details: { file, line },
      });
    }
    if (!isValidWorkerName(name)) {
      throw coreError("WORKER_NAME_INVALID", `${where(file, line)}: "${clip(name)}" is not a valid worker name.`, {
        details: { file, line, key: name },
      });
    }
    if (command === "") {
      throw coreError("PROCFILE_COMMAND_EMPTY", `${where(file, line)}: worker "${name}" has no command.`, {
        details: { file, line, key: name },
      });
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw coreError(
        "PROCFILE_DUPLICATE_WORKER",
        `${where(file, line)}: worker "${name}" is already declared on line ${earlier}.`,
        { details: { file, line, key: name, firstLine: earlier } },
      );
    }
    seen.set(name, line);

    const kind = procfileEntryKind(name);
    if (kind === "cron") parseCron({ name, command, line }, file);
    entries.push({ name, command, kind, line });
  }

  const http = entries.filter((entry) => entry.kind === "http");
  if (http.length > 1) {
    const [first, second] = http as [ProcfileEntry, ProcfileEntry];
    throw coreError(
      "PROCFILE_HTTP_WORKER_CONFLICT",
      `${where(file, second.line)}: "${second.name}" conflicts with "${first.name}" on line ${first.line}; an app has one HTTP worker.`,
      { details: { file, line: second.line, key: second.name } },
    );
  }
  return { entries };
}

const CRON_FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

/**
 * Splits a cron entry into its schedule and command, checking each of the five fields. A control
 * character anywhere (a newline from hop3.toml or runtime.json) is refused: a schedule is one line.
 */
export function parseCron(entry: Pick<ProcfileEntry, "name" | "command" | "line">, file = "Procfile"): CronJob {
  const fail = (why: string) =>
    coreError("PROCFILE_CRON_INVALID", `${where(file, entry.line)}: cron entry "${entry.name}" ${why}.`, {
      details: { file, line: entry.line, key: entry.name },
    });
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(entry.command)) throw fail("holds a newline or another control character; a cron entry is one line");
  const parts = entry.command.trim().split(/[ \t]+/);
  const fields = parts.slice(0, 5);
  // The command as written after the fifth field: its own spacing (inside quotes) is kept.
  const command = parts.length > 5 ? entry.command.trim().replace(/^([^ \t]+[ \t]+){5}/, "") : "";
  if (fields.length < 5 || command === "") {
    throw fail(`needs five schedule fields and a command, got "${clip(entry.command)}"`);
  }
  fields.forEach((field, i) => {
    const spec = CRON_FIELDS[i]!;
    if (!isCronField(field, spec.min, spec.max)) {
      throw fail(`has an invalid ${spec.name} field "${field}" (allowed: ${spec.min}-${spec.max}, *, lists, ranges, steps)`);
    }
  });
  return { name: entry.name, schedule: fields.join(" "), command, line: entry.line };
}

/** The bounds of each of the five fields, in order: minute, hour, day of month, month, day of week (0 and 7 are Sunday). */
export const CRON_FIELD_RANGES: ReadonlyArray<{ readonly name: string; readonly min: number; readonly max: number }> = CRON_FIELDS;

/**
 * The values one valid cron field stands for, sorted, without duplicates: `*\/15` in minutes is
 * 0, 15, 30, 45; `1-5` is 1 to 5. The field must have passed parseCron.
 */
export function cronFieldValues(field: string, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const item of field.split(",")) {
    const [range, step] = item.split("/") as [string, string | undefined];
    const [low, high] = range === "*" ? [min, max] : range.split("-").map(Number);
    const end = high ?? (step === undefined ? low! : max);
    for (let value = low!; value <= end; value += Number(step ?? 1)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function isCronField(field: string, min: number, max: number): boolean {
  const inRange = (value: string) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max;
  return field.split(",").every((item) => {
    const [range, step, ...rest] = item.split("/");
    if (rest.length > 0 || range === undefined) return false;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) return false;
    if (range === "*") return true;
    const [low, high, ...extra] = range.split("-");
    if (extra.length > 0 || low === undefined) return false;
    if (high === undefined) return inRange(low);
    return inRange(low) && inRange(high) && Number(low) <= Number(high);
  });
}

const clip = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);
