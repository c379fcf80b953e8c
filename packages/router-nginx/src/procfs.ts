import { commandLine } from "@hop3/core";

/**
 * nginx daemonizes, so its master is not a child of Hop3 and cannot be waited for: its state is read
 * from /proc through core's process helpers; these are the two nginx needs on top of them.
 */

/** The process's title as `ps` shows it: nginx rewrites its own ("nginx: worker process"). Empty when it is gone. */
export const processTitle = (pid: number): string => commandLine(pid).join(" ");

/** Sends a signal; false when the process no longer exists. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}
