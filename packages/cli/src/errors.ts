import { defineErrors } from "@hop3/core";

/** Codes raised by the CLI's own steps. Each has a page under docs/errors/. */
export const { catalog: cliErrorCatalog, error: cliError } = defineErrors({
  CONFIRMATION_REQUIRED: {
    title: "A destructive command needs confirmation",
    hint: "Add --yes to confirm.",
  },
  SETUP_PLATFORM_UNSUPPORTED: {
    title: "hop3 setup cannot install packages on this system",
    hint: "Install the programs it lists by hand (each with its guide), then run `hop3 doctor`; setup installs packages itself only on Debian and Ubuntu, with apt.",
  },
  SETUP_NEEDS_ROOT: {
    title: "hop3 setup must change the machine and is not running as root",
    hint: "Run it again as root (sudo hop3 setup --yes), or run the commands it lists yourself; `hop3 setup --dry-run` shows them again.",
  },
  PLUGIN_SETTING_INVALID: {
    title: "A setting that names plugins is not a list of package names",
    // No longer raised: plugins are named only in Hop3's config file (HOP3_CONFIG_INVALID) and HOP3_PLUGINS. Kept: codes are never reused.
    hint: 'Name plugins in Hop3\'s config file as a JSON list of npm package names, { "plugins": ["hop3-plugin-x"] }, or in HOP3_PLUGINS; a package.json names none.',
  },
  STATE_WRITE_FAILED: {
    title: "Hop3 could not write a file it keeps",
    hint: "Free space on the file system of HOP3_HOME (`df -h $HOP3_HOME`), or make it writable, then run the command again: nothing of the failed change was kept.",
  },
});

export type CliErrorCode = keyof typeof cliErrorCatalog;

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
  return cliError("STATE_WRITE_FAILED", `Could not ${errno.syscall}${where}: ${errno.message.replace(/^[A-Z]+: /, "").replace(/,.*$/, "")} (${errno.code}).`, {
    cause: error,
    details: { errno: errno.code, syscall: errno.syscall, ...(errno.path && { path: errno.path }) },
  });
}
