import { defineErrors } from "@hop3/core/cli";

/** Codes raised by the program shell itself, whatever its commands. Each has a page under docs/errors/. */
export const { catalog: cliKitErrorCatalog, error: cliKitError } = defineErrors({
  CONFIRMATION_REQUIRED: {
    title: "A destructive command needs confirmation",
    hint: "Add --yes to confirm.",
  },
  STATE_WRITE_FAILED: {
    title: "Hop3 could not write a file it keeps",
    hint: "Free space on the file system of HOP3_HOME (`df -h $HOP3_HOME`), or make it writable, then run the command again: nothing of the failed change was kept.",
  },
});

export type CliKitErrorCode = keyof typeof cliKitErrorCatalog;

/** Errors of the file system that the machine's owner can fix (space, quota, a read-only mount, permissions). */
const WRITE_ERRNOS = new Set(["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EMFILE", "ENFILE"]);
const FILE_SYSCALLS = new Set(["open", "write", "mkdir", "rename", "fsync", "symlink", "link", "copyfile", "unlink", "rmdir", "close", "chmod", "utime", "futime"]);

/**
 * A failed write to the disk (full, read-only...) as the user error it is, STATE_WRITE_FAILED
 * naming the file, instead of an internal error; anything else is returned as it is.
 */
export function asWriteFailure(error: unknown): unknown {
  const errno = error as NodeJS.ErrnoException | undefined;
  if (!(errno instanceof Error) || !WRITE_ERRNOS.has(errno.code ?? "") || !FILE_SYSCALLS.has(errno.syscall ?? "")) return error;
  const where = errno.path ? ` ${errno.path}` : "";
  return cliKitError("STATE_WRITE_FAILED", `Could not ${errno.syscall}${where}: ${errno.message.replace(/^[A-Z]+: /, "").replace(/,.*$/, "")} (${errno.code}).`, {
    cause: error,
    details: { errno: errno.code, syscall: errno.syscall, ...(errno.path && { path: errno.path }) },
  });
}
