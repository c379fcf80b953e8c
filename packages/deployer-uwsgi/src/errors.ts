import { defineErrors } from "@hop3/core";

/**
 * Every code raised by @hop3/deployer-uwsgi. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md. Invalid app names keep core's APP_NAME_INVALID.
 */
export const { catalog: uwsgiErrorCatalog, error: uwsgiError } = defineErrors({
  UWSGI_NOT_INSTALLED: {
    title: "uWSGI is not installed",
    hint:
      "On Debian or Ubuntu run `apt-get install uwsgi-core` (it provides /usr/bin/uwsgi-core and the /usr/bin/uwsgi " +
      "alternative; the `uwsgi` package pulls it in too). Elsewhere install uWSGI 2.0 (`pip install uwsgi`), then make " +
      "sure `uwsgi` is on the PATH of the user running Hop3, or give its full path in the deployer's `uwsgi` option.",
  },
  UWSGI_EMPEROR_START_FAILED: {
    title: "The uWSGI emperor did not start",
    hint: "Read the last lines of the emperor log shown (HOP3_HOME/uwsgi/emperor.log): a bad option, a directory it cannot write or a socket it cannot bind are the usual causes.",
  },
  UWSGI_EMPEROR_BUSY: {
    title: "Another Hop3 process kept the uWSGI emperor's start locked for too long",
    hint: "Another hop3 command is starting the emperor (the message names its pid): wait for it and run this again. A process stuck there can be stopped with `kill <pid>`; its lock is then taken over.",
  },
  UWSGI_WORKER_START_TIMEOUT: {
    title: "A worker did not start in time",
    hint: "Read the worker's last log lines shown: a web worker must listen on $BIND_ADDRESS:$PORT. Fix the command or the app and deploy again, or give it longer: hop3.toml [run] start-timeout (or the deployer's `startTimeoutSeconds`).",
  },
  UWSGI_WORKER_CRASHED: {
    title: "A worker exits as soon as it starts",
    hint: "Read the worker's last log lines shown (a missing program, a syntax error, a port already in use); fix the command or the app and deploy again.",
  },
  UWSGI_CRON_CONTAINER_UNSUPPORTED: {
    title: "A cron worker cannot run beside an app's container",
    hint: "Run the schedule inside the container (a scheduler process in the image), or deploy the app with a builder that runs it as processes (Local or Nix).",
  },
  UWSGI_APP_NOT_DEPLOYED: {
    title: "The app has not been deployed",
    hint: "Deploy the app first (`hop3 deploy`); start, restart and scale act on a deployed release.",
  },
  UWSGI_PATH_UNSAFE: {
    title: "A path cannot be written safely into uWSGI or shell configuration",
    hint: "Use a HOP3_HOME made of letters, digits and `_ . / + - @ : ~ %` only (no spaces, commas, quotes, `$` or newlines), and PATH entries without `:`.",
  },
  UWSGI_SOCKET_PATH_TOO_LONG: {
    title: "A unix socket path under HOP3_HOME is too long",
    hint: "Unix socket paths are limited to 107 bytes: use a shorter HOP3_HOME (e.g. /var/lib/hop3).",
  },
  UWSGI_ENV_NAME_INVALID: {
    title: "An environment variable name is not valid",
    hint: "Use names made of letters, digits and `_`, not starting with a digit (e.g. DATABASE_URL); rename the variable where it is set.",
  },
  UWSGI_ENV_VALUE_INVALID: {
    title: "An environment variable value cannot be passed to a process",
    hint: "Remove the NUL character from the value: the operating system cannot pass it in an environment.",
  },
  UWSGI_WORKER_TYPE_UNSUPPORTED: {
    title: "The app declares a worker type this deployer cannot run",
    hint: "Declare a `web` worker that starts an HTTP server on $BIND_ADDRESS:$PORT instead (e.g. `web: gunicorn -b $BIND_ADDRESS:$PORT app:app`), or one uWSGI loads itself: `wsgi` (Python), `rwsgi` (Rack), `jwsgi` (JVM).",
  },
  UWSGI_SCALE_INVALID: {
    title: "A scale request names an unknown worker or an invalid count",
    hint: "Scale workers the app declares (not `static`, which the proxy serves) to a whole number from 0 to 64.",
  },
  UWSGI_WORKING_DIR_MISSING: {
    title: "The artifact's working directory does not exist",
    hint: "Rebuild the app (its build directory or store path is gone), or fix the builder that set `runtime.workingDir`.",
  },
  UWSGI_BIND_ADDRESS_INVALID: {
    title: "The bind address is not an IP address",
    hint: "Set BIND_ADDRESS (HOP3_BIND_ADDRESS) to an IPv4 or IPv6 address such as 127.0.0.1 or 0.0.0.0.",
  },
  UWSGI_BEFORE_RUN_FAILED: {
    title: "A before-run command failed",
    hint: "Read its last output lines shown; fix the command (hop3.toml [run] before-run, Procfile prerun/release) and deploy again. The running release was left as it was.",
  },
  UWSGI_STATE_INVALID: {
    title: "The app's deployment state cannot be read",
    hint: "Deploy the app again: it rewrites HOP3_HOME/apps/<app>/deploy/. Remove that directory first if the error persists.",
  },
  UWSGI_CONTAINER_ENV_VALUE_INVALID: {
    title: "A variable's value cannot be passed to a container",
    hint:
      "A container gets the app's variables through Docker's --env-file, one `NAME=value` line each: remove the newline " +
      "(or carriage return) from the value of the variable named, for instance by encoding it (base64) or by putting the " +
      "content in a file the image reads, then deploy again.",
  },
  UWSGI_SYSTEM_PROGRAM_MISSING: {
    title: "A system program the deployer needs is missing",
    hint: "Install util-linux and coreutils (`apt-get install util-linux coreutils`; both are part of every Debian and Ubuntu system): every worker starts through setpriv (and env, or prlimit where no pids cgroup limits processes).",
  },
  UWSGI_WSGI_MODULE_INVALID: {
    title: "A wsgi worker does not name a Python module",
    hint: "Write the worker as `wsgi: <module>:<callable>` with Python names only (e.g. `wsgi: app:app` or `wsgi: mysite.wsgi:application`).",
  },
  UWSGI_PLUGIN_MISSING: {
    title: "A uWSGI plugin the app needs is not installed",
    hint:
      "Install the plugin's Debian package, then deploy again: `wsgi` needs uwsgi-plugin-python3, `rwsgi` uwsgi-plugin-rack-ruby3.1, " +
      "`jwsgi` uwsgi-plugin-jvm-openjdk-17 and uwsgi-plugin-jwsgi-openjdk-17 (`hop3 setup --with rack` or `--with jvm` installs them).",
  },
  UWSGI_RACK_FILE_INVALID: {
    title: "An rwsgi worker does not name a rackup file of the app",
    hint: "Write the worker as `rwsgi: <file>.ru` with a path inside the app (e.g. `rwsgi: config.ru`): letters, digits, `_ . -` and `/`, no `..`.",
  },
  UWSGI_JWSGI_CLASS_INVALID: {
    title: "A jwsgi worker does not name a Java class",
    hint: "Write the worker as `jwsgi: <Class>` or `jwsgi: <package.Class>:<method>` with Java names only (e.g. `jwsgi: Hello`); the class must be in the release's root directory (or its packages' folders) once built.",
  },
  UWSGI_CANCELLED: {
    title: "The operation was cancelled",
    hint: "Nothing to do: it stopped on request. Run it again when ready; `hop3 app status` shows what runs.",
  },
});

/** A code of @hop3/deployer-uwsgi. */
export type UwsgiErrorCode = keyof typeof uwsgiErrorCatalog;
