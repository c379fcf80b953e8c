import { existsSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { shellQuote } from "@hop3/core";
import { uwsgiError } from "./errors.js";

/** Where Debian's uWSGI loads its plugins from (its compiled-in plugin_dir). */
export const UWSGI_PLUGIN_DIR = "/usr/lib/uwsgi/plugins";

/** Threads of each `wsgi` instance, as upstream Hop3 runs them. */
export const WSGI_THREADS = 4;

/** `module[.module]...[:callable[.attribute]...]`, the form uWSGI's `module` option takes (`app:app`, `mysite.wsgi:application`). */
const WSGI_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

/** Returns the module of a `wsgi` worker trimmed, or raises UWSGI_WSGI_MODULE_INVALID: only Python names, so nothing in it can mean anything to uWSGI or a shell. */
export function checkWsgiModule(worker: string, value: string): string {
  const module = value.trim();
  if (!WSGI_MODULE.test(module)) {
    throw uwsgiError("UWSGI_WSGI_MODULE_INVALID", `Worker "${worker}" must name a Python module and callable such as app:app, not ${JSON.stringify(value)}.`, {
      details: { worker, module: value },
    });
  }
  return module;
}

/** Raises UWSGI_PLUGIN_MISSING when uWSGI's Python 3 plugin is not installed. */
export function checkPythonPlugin(pluginDir: string = UWSGI_PLUGIN_DIR): void {
  const plugin = join(pluginDir, "python3_plugin.so");
  if (!existsSync(plugin)) {
    throw uwsgiError("UWSGI_PLUGIN_MISSING", `A wsgi worker needs uWSGI's Python 3 plugin, and ${plugin} does not exist.`, {
      details: { plugin: "python3", path: plugin, package: "uwsgi-plugin-python3" },
    });
  }
}

/**
 * The command a `wsgi` instance runs through its launcher: a uWSGI of its own that loads the
 * module in-process (`plugin = python3`, `module`), with the build's virtualenv when the artifact
 * names one (VIRTUAL_ENV), serving HTTP on BIND_ADDRESS (bracketed when IPv6) and `$PORT` with a few threads. Run by the
 * launcher, it gets the app's user, cgroups, limits, variables and stop handling like any worker,
 * and the app's variables never pass through a uWSGI file (which would expand `%` and `$(...)`).
 * `die-on-term`: SIGTERM would otherwise reload it; `need-app`: a module that fails to import
 * makes it exit, so the deploy reports the crash instead of serving errors. `Connection: close`:
 * uWSGI's http-socket closes every connection after its response without saying so, and nginx,
 * which keeps upstream connections alive, would send the next request on a closed one (reset, and
 * the instance marked down: seen as 502s under load).
 */
export function wsgiCommand(uwsgi: string, module: string, bindAddress: string): string {
  // uWSGI reads an IPv6 address only in brackets; BIND_ADDRESS is an IP address (checked at deploy).
  const host = isIPv6(bindAddress) ? `[${bindAddress}]` : bindAddress;
  return [
    "exec",
    shellQuote(uwsgi),
    "--master --die-on-term --need-app --strict",
    "--plugin python3",
    `--module ${shellQuote(module)}`,
    '${VIRTUAL_ENV:+--virtualenv "$VIRTUAL_ENV"}',
    `--http-socket ${shellQuote(host)}":$PORT"`,
    "--add-header 'Connection: close'",
    `--threads ${WSGI_THREADS} --enable-threads`,
  ].join(" ");
}
