import { delimiter } from "node:path";
import { findProgram, Hop3Error, type OperationContext } from "@hop3/core";
import { INSTALL_NGINX_HINT, nginxError } from "./errors.js";
import type { NginxLayout } from "./layout.js";
import { findProblem, findWarnings, type NginxProblem } from "./nginx-messages.js";

// Debian installs nginx in /usr/sbin, which is not on a non-root user's PATH.
const FALLBACK_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"];

/** Finds the nginx program (PATH, then the usual sbin directories); raises NGINX_NOT_INSTALLED. */
export function findNginx(program: string, env: Readonly<Record<string, string | undefined>>): string {
  const found = findProgram(program, { PATH: [env.PATH ?? "", ...FALLBACK_DIRS].join(delimiter) });
  if (found !== undefined) return found;
  throw nginxError("NGINX_NOT_INSTALLED", `nginx was not found (looked for ${JSON.stringify(program)} on PATH and in ${FALLBACK_DIRS.join(", ")}).`, {
    details: { program },
  });
}

/** The arguments that make nginx use Hop3's prefix and nothing of the system's nginx. */
export const prefixArgs = (layout: NginxLayout, conf: string = layout.conf): string[] => [
  "-p",
  `${layout.prefix}/`,
  "-c",
  conf,
  // Errors before the configuration is read go here, not to the distribution's log path.
  "-e",
  layout.errorLog,
];

/** The answer of `nginx -t`. */
export type TestResult = { readonly ok: true } | { readonly ok: false; readonly problem: NginxProblem };

/** Runs `nginx -t` on a configuration file; warnings go to the logger. */
export async function testConfig(context: OperationContext, nginx: string, layout: NginxLayout, conf: string): Promise<TestResult> {
  const result = await runNginx(context, nginx, ["-t", "-q", ...prefixArgs(layout, conf)], "the nginx configuration test");
  for (const warning of findWarnings(result.lastLines)) context.logger.warn(`nginx: ${warning}`);
  if (result.exitCode === 0) return { ok: true };
  return { ok: false, problem: findProblem(result.lastLines) ?? { line: `nginx -t exited with code ${result.exitCode}` } };
}

/** Runs nginx, mapping "not installed" to NGINX_NOT_INSTALLED; a non-zero exit is returned. */
export async function runNginx(context: OperationContext, nginx: string, args: readonly string[], purpose: string) {
  try {
    return await context.run(nginx, args, {
      allowFailure: true,
      timeoutMs: 30_000,
      signal: context.signal,
      env: context.env,
      logger: context.logger,
      purpose,
      notFoundHint: INSTALL_NGINX_HINT,
    });
  } catch (error) {
    if (Hop3Error.is(error) && error.code === "COMMAND_NOT_FOUND") {
      throw nginxError("NGINX_NOT_INSTALLED", `${nginx} could not be run: it is not installed.`, { cause: error, details: { program: nginx } });
    }
    throw error;
  }
}
