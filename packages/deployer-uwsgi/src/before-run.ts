import { appProcessEnv, formatLastLines, Hop3Error, runAsUser, type AppUser, type DeployContext } from "@hop3/core";
import { uwsgiError } from "./errors.js";

/** What before-run commands run with: a worker's environment, without a PORT. */
export interface BeforeRunSpec {
  readonly app: string;
  readonly commands: readonly string[];
  /** The merged app environment (on top of the app user's own: PATH, locale, HOME, USER, LOGNAME, TMPDIR). */
  readonly env: Readonly<Record<string, string>>;
  readonly pathPrepend: readonly string[];
  readonly workingDir: string;
  readonly timeoutMs: number;
}

/**
 * Runs the release's before-run commands (migrations...) once, in order, before any worker is
 * touched, as the app's user (no capability, no way back to root, umask 027): when one fails, the
 * running release keeps serving (UWSGI_BEFORE_RUN_FAILED).
 */
export async function runBeforeRun(spec: BeforeRunSpec, context: DeployContext, user: AppUser): Promise<void> {
  const env: Record<string, string> = { ...spec.env };
  if (spec.pathPrepend.length > 0) env.PATH = [...spec.pathPrepend, env.PATH ?? appProcessEnv(user, context.env).PATH!].join(":");
  const run = runAsUser(user, { env: context.env, logger: context.logger, signal: context.signal });
  for (const command of spec.commands) {
    context.logger.info(`Running before-run command: ${command}`);
    try {
      await run("/bin/sh", ["-c", command], {
        cwd: spec.workingDir,
        env,
        timeoutMs: spec.timeoutMs,
        signal: context.signal,
        logger: context.logger,
        purpose: `the before-run command \`${command}\``,
      });
    } catch (error) {
      if (Hop3Error.is(error) && error.code === "COMMAND_CANCELLED") throw uwsgiError("UWSGI_CANCELLED", error.message, { cause: error });
      const lastLines = Hop3Error.is(error) ? ((error.details.lastLines as string[] | undefined) ?? []) : [];
      const reason = Hop3Error.is(error) ? error.message.split("\n")[0] : String(error);
      throw uwsgiError("UWSGI_BEFORE_RUN_FAILED", `Deploying ${spec.app} stopped: ${reason}${formatLastLines(lastLines)}`, {
        cause: error,
        details: { app: spec.app, command, lastLines },
      });
    }
  }
}
