import { existsSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { Hop3Error, shellQuote } from "@hop3/core";
import { uwsgiError, type UwsgiErrorCode } from "./errors.js";

/** Where Debian's uWSGI loads its plugins from (its compiled-in plugin_dir). */
export const UWSGI_PLUGIN_DIR = "/usr/lib/uwsgi/plugins";

/** The Java side of uWSGI's JVM plugin (the `uwsgi` class a JWSGI app is called through), as Debian installs it. */
export const UWSGI_JAR = "/usr/share/java/uwsgi.jar";

/** Threads of each wsgi and jwsgi instance, as upstream Hop3 runs them. */
export const WSGI_THREADS = 4;

/** The uWSGI plugins a native worker loads, each with the Debian package that installs it. */
export const UWSGI_PLUGINS = {
  python3: { file: "python3_plugin.so", debianPackage: "uwsgi-plugin-python3" },
  rack: { file: "rack_plugin.so", debianPackage: "uwsgi-plugin-rack-ruby3.1" },
  jvm: { file: "jvm_plugin.so", debianPackage: "uwsgi-plugin-jvm-openjdk-17" },
  jwsgi: { file: "jwsgi_plugin.so", debianPackage: "uwsgi-plugin-jwsgi-openjdk-17" },
} as const;

export type UwsgiPluginName = keyof typeof UWSGI_PLUGINS;

/** The workers uWSGI loads in-process through a language plugin, as upstream Hop3 runs them. */
export const NATIVE_WORKERS = ["wsgi", "rwsgi", "jwsgi"] as const;

export type NativeWorker = (typeof NATIVE_WORKERS)[number];

export const isNativeWorker = (worker: string): worker is NativeWorker => (NATIVE_WORKERS as readonly string[]).includes(worker);

/** What a native worker's value names, and how uWSGI loads it. */
interface NativeKind {
  readonly plugins: readonly UwsgiPluginName[];
  /** The value's form: only names that mean nothing to uWSGI's config parser or a shell. */
  readonly pattern: RegExp;
  readonly invalid: Extract<UwsgiErrorCode, `UWSGI_${string}_INVALID`>;
  /** "a Python module and callable such as app:app", for messages. */
  readonly expected: string;
  /** The uWSGI options that load the app, after `--plugin` (values quoted for the shell). */
  readonly load: (target: string, workingDir: string) => readonly string[];
  /** Whether the language runs requests on uWSGI's threads (Ruby's interpreter crashes on them). */
  readonly threads: boolean;
}

const NATIVE_KINDS: Readonly<Record<NativeWorker, NativeKind>> = {
  wsgi: {
    plugins: ["python3"],
    // `module[.module]...[:callable[.attribute]...]`, the form uWSGI's `module` option takes.
    pattern: /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/,
    invalid: "UWSGI_WSGI_MODULE_INVALID",
    expected: "a Python module and callable such as app:app",
    // `need-app`: a module that fails to import makes it exit, so the deploy reports the crash instead of serving errors.
    load: (module) => ["--need-app", `--module ${shellQuote(module)}`, '${VIRTUAL_ENV:+--virtualenv "$VIRTUAL_ENV"}'],
    threads: true,
  },
  rwsgi: {
    plugins: ["rack"],
    // A rackup file inside the release: relative, no `..`, plain file-name characters.
    pattern: /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\.ru$/,
    invalid: "UWSGI_RACK_FILE_INVALID",
    expected: "a rackup file of the app such as config.ru",
    load: (file) => ["--need-app", `--rack ${shellQuote(file)}`, "--post-buffering 4096"],
    // Upstream asks for 4 threads here too, and its workers die on the first requests (SIGSEGV):
    // one request at a time per instance; scale the worker for more.
    threads: false,
  },
  jwsgi: {
    plugins: ["jvm", "jwsgi"],
    // `Class` or `package.Class[:method]`: Java identifiers only ($ of inner classes left out: the shell would read it).
    pattern: /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*)?$/,
    invalid: "UWSGI_JWSGI_CLASS_INVALID",
    expected: "a Java class (and method) such as Hello or com.example.App:application",
    // The JVM starts in each worker after the fork, so the app is not known to the master: no need-app
    // (a class that fails to load gets its worker respawned and the health gate refuses the release).
    // uWSGI's http-socket hands requests to modifier 0 (Python) unless told: 8 is the JVM's.
    load: (className, workingDir) => [
      `--jvm-classpath ${shellQuote(UWSGI_JAR)}`,
      `--jvm-classpath ${shellQuote(workingDir)}`,
      `--jwsgi ${shellQuote(className)}`,
      "--http-socket-modifier1 8",
    ],
    threads: true,
  },
};

/**
 * Returns the value of a native worker (`wsgi: app:app`, `rwsgi: config.ru`, `jwsgi: Hello`)
 * trimmed, or raises its coded error (UWSGI_WSGI_MODULE_INVALID, UWSGI_RACK_FILE_INVALID,
 * UWSGI_JWSGI_CLASS_INVALID): only names, so nothing in it can mean anything to uWSGI or a shell.
 */
export function checkNativeTarget(worker: NativeWorker, value: string): string {
  const kind = NATIVE_KINDS[worker];
  const target = value.trim();
  if (!kind.pattern.test(target)) {
    throw uwsgiError(kind.invalid, `Worker "${worker}" must name ${kind.expected}, not ${JSON.stringify(value)}.`, {
      details: { worker, value, ...(worker === "wsgi" && { module: value }) },
    });
  }
  return target;
}

/** The uWSGI plugins a native worker loads. */
export const pluginsOf = (worker: NativeWorker): readonly UwsgiPluginName[] => NATIVE_KINDS[worker].plugins;

/**
 * UWSGI_PLUGIN_MISSING for each plugin a native worker needs that is not installed (and, for the
 * JVM, its uwsgi.jar), naming the Debian packages to install; [] when all are there.
 */
export function missingPlugins(worker: NativeWorker, pluginDir: string = UWSGI_PLUGIN_DIR, jar: string = UWSGI_JAR): Hop3Error[] {
  const missing = NATIVE_KINDS[worker].plugins.filter((name) => !existsSync(join(pluginDir, UWSGI_PLUGINS[name].file)) || (name === "jvm" && !existsSync(jar)));
  if (missing.length === 0) return [];
  const packages = [...new Set(NATIVE_KINDS[worker].plugins.map((name) => UWSGI_PLUGINS[name].debianPackage))];
  const paths = missing.map((name) => join(pluginDir, UWSGI_PLUGINS[name].file));
  return [
    uwsgiError("UWSGI_PLUGIN_MISSING", `A ${worker} worker needs uWSGI's ${missing.join(" and ")} plugin${missing.length > 1 ? "s" : ""}, and ${paths.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed.`, {
      hint: `On Debian or Ubuntu run \`apt-get install ${packages.join(" ")}\` (\`hop3 setup --with ${SETUP_ID[worker]}\` does), then deploy again.`,
      details: { worker, plugins: missing, paths, packages, ...(missing.length === 1 && { plugin: missing[0], path: paths[0], package: packages[0] }) },
    }),
  ];
}

/** The `hop3 setup --with` id that installs a native worker's plugins (the deployer's requirements). */
export const SETUP_ID: Readonly<Record<NativeWorker, string>> = { wsgi: "uwsgi", rwsgi: "rack", jwsgi: "jvm" };

/** Raises UWSGI_PLUGIN_MISSING when a plugin the worker needs is not installed. */
export function checkPlugins(worker: NativeWorker, pluginDir: string = UWSGI_PLUGIN_DIR): void {
  const [missing] = missingPlugins(worker, pluginDir);
  if (missing) throw missing;
}

/**
 * The command a native instance runs through its launcher: a uWSGI of its own that loads the app
 * in-process with the worker's plugins (`wsgi`: python3 and the build's virtualenv when the
 * artifact names one, VIRTUAL_ENV; `rwsgi`: rack; `jwsgi`: jvm and jwsgi, the release on the class
 * path), serving HTTP on BIND_ADDRESS (bracketed when IPv6) and `$PORT` (with a few threads, but
 * for Ruby). Run by
 * the launcher, it gets the app's user, cgroups, limits, variables and stop handling like any
 * worker, and the app's variables never pass through a uWSGI file (which would expand `%` and
 * `$(...)`). `die-on-term`: SIGTERM would otherwise reload it. `Connection: close`: uWSGI's
 * http-socket closes every connection after its response without saying so, and nginx, which
 * keeps upstream connections alive, would send the next request on a closed one (reset, and the
 * instance marked down: seen as 502s under load).
 */
export function nativeCommand(uwsgi: string, worker: NativeWorker, target: string, bindAddress: string, workingDir: string): string {
  // uWSGI reads an IPv6 address only in brackets; BIND_ADDRESS is an IP address (checked at deploy).
  const host = isIPv6(bindAddress) ? `[${bindAddress}]` : bindAddress;
  const kind = NATIVE_KINDS[worker];
  return [
    "exec",
    shellQuote(uwsgi),
    "--master --die-on-term --strict",
    ...kind.plugins.map((plugin) => `--plugin ${plugin}`),
    ...kind.load(target, workingDir),
    `--http-socket ${shellQuote(host)}":$PORT"`,
    "--add-header 'Connection: close'",
    ...(kind.threads ? [`--threads ${WSGI_THREADS} --enable-threads`] : []),
  ].join(" ");
}
