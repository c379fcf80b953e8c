/**
 * Names that end up in file names, host names, nginx and uWSGI configuration. They are validated
 * here, once, so nothing downstream has to escape them.
 */

/** An app name: a DNS label, so `<app>.localhost` is a valid host and a safe file name. */
export const APP_NAME_PATTERN = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

/** A worker name (web, worker, clock...): a safe file-name part. */
export const WORKER_NAME_PATTERN = "^[A-Za-z][A-Za-z0-9_-]{0,62}$";

/** A plugin contribution name (builder, toolchain, deployer): lowercase, may be namespaced with '/'. */
export const CONTRIBUTION_NAME_PATTERN = "^[a-z0-9][a-z0-9._/-]{0,99}$";

/** An environment variable name as POSIX shells accept it. */
export const ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

/** A host name: dot-separated DNS labels, lowercase (e.g. "blog.example.org"). */
export const HOST_NAME_PATTERN = "^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$";

/** An HTTP path as a request line carries it: starting with `/`, no space or control character. */
export const HTTP_PATH_PATTERN = "^/[\\x21-\\x7e]*$";

const appName = new RegExp(APP_NAME_PATTERN);
const hostName = new RegExp(HOST_NAME_PATTERN);
const workerName = new RegExp(WORKER_NAME_PATTERN);
const envName = new RegExp(ENV_NAME_PATTERN);

export const isValidAppName = (name: string): boolean => appName.test(name);
export const isValidWorkerName = (name: string): boolean => workerName.test(name);
export const isValidHostName = (name: string): boolean => hostName.test(name);
export const isValidEnvName = (name: string): boolean => envName.test(name);

/**
 * Turns a directory name into a valid app name ("My_App.v2" -> "my-app-v2"), or undefined when
 * nothing usable is left.
 */
export function toAppName(raw: string): string | undefined {
  const name = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return isValidAppName(name) ? name : undefined;
}
