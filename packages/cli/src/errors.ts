import { defineErrors } from "@hop3/core";

/** Codes raised by the CLI's own steps. Each has a page under docs/errors/. */
export const { catalog: cliErrorCatalog, error: cliError } = defineErrors({
  APP_NOT_FOUND: {
    title: "No app of that name is known to this Hop3",
    hint: "Run `hop3 apps` for the list, or deploy the app first with `hop3 deploy DIR`.",
  },
  APP_STATE_CORRUPT: {
    title: "An app's state file cannot be read",
    hint: "The file was changed by hand or written by another version: redeploy the app with `hop3 deploy DIR` (it writes the file anew), or remove the app with `hop3 destroy NAME --yes`.",
  },
  APP_BUSY: {
    title: "Another hop3 command is changing this app",
    hint: "Wait for it to finish and run the command again. If no hop3 process is running, the lock is released on its own.",
  },
  HEALTH_CHECK_FAILED: {
    title: "The app did not answer as expected after it was started",
    hint: "Read the app's last log lines shown with the error (or `hop3 logs NAME`): a web worker must listen on $BIND_ADDRESS:$PORT. Raise [run] start-timeout in hop3.toml if the app needs longer to start.",
  },
  CONFIG_KEY_INVALID: {
    title: "A config key is not a valid environment variable name",
    hint: "Use letters, digits and '_', not starting with a digit (e.g. DATABASE_URL).",
  },
  APP_NOT_LIVE: {
    title: "The app has no live release",
    hint: "Deploy it with `hop3 deploy DIR`; `hop3 status NAME` and `hop3 logs NAME` say why the last deploy failed.",
  },
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
  DOMAIN_INVALID: {
    title: "A host name cannot be a domain of the app",
    hint: "Give lowercase host names such as blog.example.org: labels of a-z, 0-9 and '-' separated by dots, not under .localhost.",
  },
  RELEASE_NOT_FOUND: {
    title: "No release to roll back to",
    hint: "Run `hop3 releases NAME` for the app's kept releases: only one that once ran (live or superseded) can be started again. Raise HOP3_KEEP_RELEASES to keep more of them.",
  },
  KEEP_RELEASES_INVALID: {
    title: "HOP3_KEEP_RELEASES is not a number of releases",
    hint: "Set HOP3_KEEP_RELEASES to a whole number from 1 to 100 (default 5), or unset it.",
  },
});

export type CliErrorCode = keyof typeof cliErrorCatalog;
