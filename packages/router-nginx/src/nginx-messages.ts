/** What nginx said went wrong, from its stderr or error log. */
export interface NginxProblem {
  /** The line as nginx printed it, without the "nginx: " prefix ("[emerg] unknown directive ..."). */
  readonly line: string;
  /** The file nginx names ("... in /srv/hop3/nginx/sites/blog.conf:3"), when it names one. */
  readonly file?: string;
  readonly lineNumber?: number;
}

const SEVERE = /\[(emerg|alert|crit)\]/;
const LOCATION = / in (\/\S+):(\d+)\s*$/;

/** The first emerg/alert/crit line of nginx's output, or its last line when none is marked. */
export function findProblem(lines: readonly string[]): NginxProblem | undefined {
  const cleaned = lines.map((line) => line.replace(/^nginx: /, "").trim()).filter((line) => line !== "");
  const line = cleaned.find((l) => SEVERE.test(l)) ?? cleaned.at(-1);
  if (line === undefined) return undefined;
  const location = LOCATION.exec(line);
  return location ? { line, file: location[1]!, lineNumber: Number(location[2]) } : { line };
}

/** Warning lines ("[warn] conflicting server name ..."), passed on to the logger. */
export function findWarnings(lines: readonly string[]): string[] {
  return lines.map((line) => line.replace(/^nginx: /, "").trim()).filter((line) => line.startsWith("[warn]"));
}

/** The severe lines an error log gained ("2026/01/01 12:00:00 [emerg] 123#123: bind() ... failed"). */
export function severeLogLines(text: string): string[] {
  return text.split("\n").filter((line) => SEVERE.test(line));
}

/**
 * The [emerg] lines one process (the master) wrote to the error log: how a reload that failed
 * shows. Other processes' lines, such as a worker's [crit] about a request, say nothing about it.
 */
export function masterEmergLines(text: string, master: number): string[] {
  return text.split("\n").filter((line) => line.includes("[emerg]") && line.includes(` ${master}#`));
}

/** nginx's bind failure, e.g. "bind() to 127.0.0.1:8080 failed (98: Address already in use)". */
export function isAddressInUse(line: string): boolean {
  return /bind\(\) to \S+ failed \(98: Address (already )?in use\)/.test(line);
}
