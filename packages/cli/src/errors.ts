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
    hint: 'Write the plugins as a JSON list of npm package names: "hop3": { "plugins": ["hop3-plugin-x"] } in package.json, { "plugins": [...] } in the user config file.',
  },
});

export type CliErrorCode = keyof typeof cliErrorCatalog;
