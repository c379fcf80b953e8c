/**
 * The named steps of a deploy where a test may kill Hop3, in pipeline order: after the build,
 * after the new release's processes are written, before the route switches to them, after it did.
 */
export const CRASH_POINTS = ["after-build", "after-vassal", "before-switch", "after-switch"] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** The test hook's variable: set to one crash point, the process SIGKILLs itself when it reaches it. */
export const CRASH_AT_VARIABLE = "HOP3_TEST_CRASH_AT";

/**
 * Test hook for crash safety: when `HOP3_TEST_CRASH_AT` names this step, the process kills itself
 * at once with SIGKILL (no cleanup, no `finally`), as a power cut or the OOM killer would. Unset,
 * it does nothing; it is read only at these named steps.
 */
export function testCrashPoint(env: Readonly<Record<string, string | undefined>>, point: CrashPoint): void {
  if (env[CRASH_AT_VARIABLE] === point) process.kill(process.pid, "SIGKILL");
}
