import { defineErrors } from "@hop3/core/cli";

/** Codes raised by the CLI's own steps. Each has a page under docs/errors/. */
export const { catalog: cliErrorCatalog, error: cliError } = defineErrors({
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
});

export type CliErrorCode = keyof typeof cliErrorCatalog;
