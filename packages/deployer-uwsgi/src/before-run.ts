import { formatLastLines, Hop3Error, type DeployContext } from "@hop3/core";
import { uwsgiError } from "./errors.js";

/** What before-run commands run with: a worker's environment, without a PORT. */
export interface BeforeRunSpec {
  readonly app: string;
  readonly commands: readonly string[];
  /** Inherited variables, then the merged app environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly pathPrepend: readonly string[];
  readonly workingDir: string;
  readonly timeoutMs: number;
}

/**
 * Runs the release's before-run commands (migrations...) once, in order, before any worker is
 * touched: when one fails, the running release keeps serving (UWSGI_BEFORE_RUN_FAILED).
 */
export async function runBeforeRun(spec: BeforeRunSpec, context: DeployContext): Promise<void> {
  const env: Record<string, string> = { ...spec.env };
  if (spec.pathPrepend.length > 0) env.PATH = [...spec.pathPrepend, ...(env.PATH ? [env.PATH] : [])].join(":");
  for (const command of spec.commands) {
    context.logger.info(`Running before-run command: ${command}`);
    try {
      await context.run("/bin/sh", ["-c", command], {
        cwd: spec.workingDir,
        env,
        extendEnv: false,
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
