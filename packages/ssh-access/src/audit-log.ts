import { appendFileSync, chmodSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** `<HOP3_HOME>/log/ssh-commands.log`: one JSON line per command a deploy key sent (root's, 0600). */
export const auditLogFile = (home: string): string => join(resolve(home), "log", "ssh-commands.log");

/** One line of the audit log. */
export interface AuditEntry {
  readonly time: string;
  /** The deploy key's name. */
  readonly key: string;
  /** The command as parsed; the raw line when it could not be parsed. */
  readonly argv?: readonly string[];
  readonly line?: string;
  /** `run`, or `refused` with the code that refused it. */
  readonly outcome: "run" | "refused";
  readonly code?: string;
  /** Where the connection came from (sshd's SSH_CONNECTION: address and port). */
  readonly from?: string;
}

/** Appends an entry. The log is written before the command runs: a command that never ends is still logged. */
export function appendAudit(home: string, entry: AuditEntry): void {
  const file = auditLogFile(home);
  mkdirSync(join(resolve(home), "log"), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
