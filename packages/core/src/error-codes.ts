import { defineErrors } from "./errors.js";

/** Every code raised by @hop3/core. Each has a page under docs/errors/. */
export const { catalog: coreErrorCatalog, error: coreError } = defineErrors({
  APP_DIR_NOT_FOUND: {
    title: "The app directory does not exist",
    hint: "Pass the path of a directory that holds your app (its hop3.toml, Procfile, hop3.nix or sources).",
  },
  STORE_PATH_APP_MISSING: {
    title: "A store path was given to deploy without the app it is for",
    hint: "Name the app: `hop3 deploy --store-path /nix/store/... --app NAME` (a store path's name is the package's, not the app's).",
  },
  APP_NAME_INVALID: {
    title: "The app name is not valid",
    hint: "Use 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (it becomes a host name and file names).",
  },
  CONFIG_FILE_UNREADABLE: {
    title: "A configuration file could not be read",
    hint: "Check that the file is a regular file and readable by the user running Hop3.",
  },
  CONFIG_TOML_SYNTAX: {
    title: "hop3.toml is not valid TOML",
    hint: "Fix the TOML syntax at the line shown; https://toml.io describes the format.",
  },
  CONFIG_UNKNOWN_KEY: {
    title: "hop3.toml has a section or key Hop3 does not know",
    hint: "Remove the key or fix its spelling; docs/reference/hop3-toml.md lists every section and key.",
  },
  CONFIG_INVALID_VALUE: {
    title: "A hop3.toml value has the wrong type or form",
    hint: "Change the value to the expected type shown; docs/reference/hop3-toml.md describes each key.",
  },
  ENV_FACT_UNKNOWN: {
    title: "An [env] reference names a fact of the app that Hop3 does not know",
    hint: 'Use one of the app facts Hop3 fills in (name, host, domain, url: docs/reference/hop3-toml.md), or set the value with `hop3 config set NAME=VALUE`.',
  },
  ENV_ADDON_UNDECLARED: {
    title: "An [env] reference reads from an addon the app does not declare",
    hint: 'Declare the addon in the same hop3.toml ([[addons]] type = "postgres", name = "db") and write { from = "db", key = "PGHOST" }; an app reads only its own addons, never another app\'s.',
  },
  ENV_ADDON_UNRESOLVED: {
    title: "An [env] reference to an addon cannot be resolved yet",
    hint: "Nothing provides this addon's variables on this server yet: set the value yourself with `hop3 config set APP NAME=VALUE`, or `hop3 deploy DIR --env NAME=VALUE` before the app's first deploy; it wins over the reference.",
  },
  PROCFILE_SYNTAX: {
    title: "A Procfile line is not of the form `name: command`",
    hint: "Write each worker as `name: command` on one line; lines starting with # are comments.",
  },
  PROCFILE_COMMAND_EMPTY: {
    title: "A Procfile worker has no command",
    hint: "Write the command after the colon, or remove the line.",
  },
  PROCFILE_DUPLICATE_WORKER: {
    title: "A Procfile names the same worker twice",
    hint: "Give each worker a unique name, or remove one of the lines.",
  },
  PROCFILE_CRON_INVALID: {
    title: "A Procfile cron line is not `cron: <minute> <hour> <day> <month> <weekday> <command>`",
    hint: "Write five cron fields (numbers, *, ranges a-b, lists a,b and steps */n) followed by the command.",
  },
  PROCFILE_HTTP_WORKER_CONFLICT: {
    title: "A Procfile declares more than one HTTP worker (web, wsgi, jwsgi, rwsgi)",
    hint: "Keep a single HTTP worker: an app is served by one of web, wsgi, jwsgi or rwsgi.",
  },
  WORKER_NAME_INVALID: {
    title: "A worker name is not valid",
    hint: "Use letters, digits, '_' and '-' (at most 63 characters), starting with a letter; worker names become file names.",
  },
  RUNTIME_JSON_NOT_JSON: {
    title: "runtime.json is not valid JSON",
    hint: "Make the build write valid JSON to $out/hop3/runtime.json (check quoting and escaped $ signs in the heredoc).",
  },
  RUNTIME_JSON_WORKERS_MISSING: {
    title: "runtime.json has no workers",
    hint: 'Add a "workers" object with at least one worker, e.g. {"workers": {"web": "$out/bin/app"}}.',
  },
  RUNTIME_JSON_INVALID: {
    title: "runtime.json does not match its schema",
    hint: 'runtime.json holds "workers" (name to command string), optional "env" (name to string) and optional "path" (list of strings); see docs/reference/runtime-json.md.',
  },
  RUNTIME_JSON_STATIC_NOT_A_PATH: {
    title: "The static worker's value is not a directory path",
    hint: 'The "static" worker names a directory to serve (e.g. "$out/public"), not a command.',
  },
  RUNTIME_JSON_STATIC_DIR_MISSING: {
    title: "The static worker's directory does not exist",
    hint: "Make the build create the directory the static worker names, or fix the path.",
  },
  PLUGIN_INVALID: {
    title: "A plugin is not a Hop3 plugin",
    hint: "A plugin is an object with a string `name`, an `apiVersion` and a `register(registry)` function; use definePlugin() from @hop3/core.",
  },
  PLUGIN_API_VERSION_UNSUPPORTED: {
    title: "A plugin was written for an API version this core does not support",
    hint: "Install a version of the plugin made for this @hop3/core, or upgrade @hop3/core.",
  },
  PLUGIN_DUPLICATE_NAME: {
    title: "Two plugins have the same name",
    hint: "Load each plugin once; two different plugins must have different names.",
  },
  PLUGIN_REGISTER_FAILED: {
    title: "A plugin failed while registering",
    hint: "This is a bug in the plugin; report it to its authors with the cause shown.",
  },
  PLUGIN_FAILED: {
    title: "A plugin failed with an unexpected error",
    hint: "This is a bug in the plugin named; report it to its authors with the cause shown.",
  },
  CONTRIBUTION_INVALID: {
    title: "A plugin contributed a builder, toolchain, deployer or command that breaks its contract",
    hint: "Check the contribution against the contract in docs/guides/writing-a-plugin.md.",
  },
  CONTRIBUTION_DUPLICATE_NAME: {
    title: "Two contributions of the same kind have the same name",
    hint: "Remove one of the plugins, or give the contributions different names.",
  },
  OPTIONS_INVALID: {
    title: "Options passed to a plugin are not valid",
    hint: "Fix the option named; the plugin's README lists its options.",
  },
  BUILDER_UNKNOWN: {
    title: "No builder has the requested name",
    hint: 'Use one of the available builders, or "auto" to let Hop3 choose.',
  },
  BUILDER_NONE_ACCEPTED: {
    title: "No builder accepted the app",
    // Raised with a hint listing what this distribution's builders look for (Builder.looksFor).
    hint: "Add what one of the distribution's builders looks for (the hint of the message lists them), or name a builder in hop3.toml [build] builder.",
  },
  DEPLOYER_NOT_FOUND: {
    title: "No deployer of this distribution runs this shape of artifact",
    hint: "Add a plugin whose deployer takes this shape of artifact; `hop3 plugins` lists the deployers and the shapes they take.",
  },
  DEPLOYER_UNKNOWN: {
    title: "hop3.toml names a deployer this server does not have, or one that cannot run the app",
    hint: "Write one of the deployers the message lists in [run] deployer (`hop3 plugins` lists them and the artifact shapes they take), or remove the key to let the server choose.",
  },
  ROUTER_NOT_FOUND: {
    title: "This distribution has no router",
    hint: "Add a router plugin, such as @hop3/router-nginx, to the distribution.",
  },
  BUILD_ARTIFACT_INVALID: {
    title: "A build artifact does not match the BuildArtifact schema",
    hint: "If a builder returned it, that builder has a bug: report it to its authors with the field shown. If it was read from a file, the file was changed by hand or written by another version: build the app again.",
  },
  COMMAND_NOT_FOUND: {
    title: "A program Hop3 needs is not installed",
    hint: "Install the program, or make sure it is on PATH for the user running Hop3.",
  },
  COMMAND_FAILED: {
    title: "A command exited with an error",
    hint: "Read the last lines of its output shown above; fix the cause and run again.",
  },
  COMMAND_TIMEOUT: {
    title: "A command took longer than its time limit",
    hint: "Find out why the command hangs (network access, a prompt waiting for input), or raise the time limit (for Nix builds, hop3.toml [nix] timeout).",
  },
  COMMAND_CANCELLED: {
    title: "A command was cancelled",
    hint: "Nothing to do: the operation was cancelled on request; run it again when ready.",
  },
  PLUGIN_NOT_FOUND: {
    title: "A plugin package named in the plugin settings is not installed",
    hint: "Install the package where Hop3 looks for plugins: beside the distribution (`npm install -g NAME` when hop3 is installed globally) or in the directory of Hop3's config file (`npm install --prefix ~/.config/hop3 NAME`); or remove it from the config file's `plugins` or HOP3_PLUGINS.",
  },
  PLUGIN_IMPORT_FAILED: {
    title: "A plugin package was found but could not be imported",
    hint: "Read the cause shown: a missing dependency of the plugin, a syntax error, or a CommonJS-only package. Reinstall the plugin, or report it to its authors.",
  },
  HOP3_SETTING_INVALID: {
    title: "A Hop3 setting in the environment has a value Hop3 cannot use",
    hint: "Fix or unset the variable named; docs/reference/security.md and the CLI reference describe Hop3's settings.",
  },
  HOP3_CONFIG_INVALID: {
    title: "Hop3's config file is not valid",
    hint: "Fix the key named in the file (HOP3_CONFIG, else ~/.config/hop3/config.json); docs/reference/cli.md lists its keys: plugins, limits, maxLimits, logs.",
  },
  HOP3_HOME_NOT_TRAVERSABLE: {
    title: "App users cannot reach HOP3_HOME",
    hint: "Keep HOP3_HOME where every user may pass (the default, /var/lib/hop3, is), or let others pass through the directory named (`chmod o+x DIR`).",
  },
  APP_USER_FAILED: {
    title: "The system user of an app could not be made or removed",
    hint: "Read the cause shown (useradd, userdel or gpasswd's own message); Hop3 must run as root to make app users, and /etc/passwd must be writable.",
  },
  APP_USER_CONFLICT: {
    title: "The user name Hop3 would give an app belongs to someone else",
    hint: "Another account (a person's, or another HOP3_HOME's app) has that name: rename the app, remove that account, or give this HOP3_HOME its own HOP3_USER_PREFIX.",
  },
  PORT_UNAVAILABLE: {
    title: "No TCP port could be bound on the address",
    hint: "Check that the address is one of this machine's (`ip -brief address`; BIND_ADDRESS, HOP3_BIND_ADDRESS), and that the ports Hop3 draws from (10000 up to `net.ipv4.ip_local_port_range`) are not all taken (`ss -ltn`).",
  },
  STATE_PATH_UNSAFE: {
    title: "A path in Hop3's state is not what Hop3 made there",
    hint: "Something replaced a directory of Hop3's with a link or a file; remove it (Hop3 makes it again) and find out what wrote it.",
  },
  CGROUP_SETUP_FAILED: {
    title: "The cgroup that limits an app could not be set up",
    hint: "Read the kernel's refusal shown; check that the cgroup controllers (memory, pids, cpu) are mounted and writable by root, or lower the limit named.",
  },
  STATIC_DIR_OUTSIDE_ARTIFACT: {
    title: "A static directory is outside what the app's build produced",
    hint: "Serve a directory of the build itself (`$out/public` for Nix, a directory of the app for the Local builder); links out of it, `..` and absolute paths elsewhere are refused.",
  },
  CONFIG_FILE_OUTSIDE_APP: {
    title: "An app's configuration file is a link out of the app directory",
    hint: "Make hop3.toml and the Procfile regular files of the app (or links inside it); Hop3 never reads files outside an app for it.",
  },
  // hop3.toml [[volumes]] (packages/core/src/formats/volumes.ts, pipeline/volumes.ts).
  VOLUME_NAME_INVALID: {
    title: "A volume's name cannot name a directory",
    hint: "A volume name is 1 to 64 letters, digits, '-' and '_', starting with a letter or digit.",
  },
  VOLUME_TARGET_INVALID: {
    title: "A volume's target is not a path inside the app",
    hint: 'Write a path inside the app, relative to its directory and normalized (no `..`, `.`, `//`, leading or trailing `/`), such as target = "data/store".',
  },
  VOLUME_CONFLICT: {
    title: "Two volumes share a name or a target",
    hint: "Give each volume its own name and its own target, none inside another.",
  },
  VOLUME_TYPE_UNSUPPORTED: {
    title: "A volume asks for a kind this Hop3 does not make",
    hint: 'Remove `type` or write type = "persist": a volume is a directory kept across deploys.',
  },
  VOLUMES_UNSUPPORTED: {
    title: "The app's builder makes releases Hop3 cannot link volumes into",
    hint: "Build the app with the Local builder (hop3.toml [build] builder = \"local\"), whose releases are directories of their own, or remove [[volumes]] and keep data in the app's HOME ($HOME, kept across deploys).",
  },
  VOLUME_TARGET_UNSAFE: {
    title: "The path to a volume's target goes through a link or a file of the app",
    hint: "Remove the link (or file) the app ships on the way to the target, or choose another target: Hop3 never makes a volume's link through a link the app controls.",
  },
  VOLUME_TARGET_OCCUPIED: {
    title: "The app has files where a volume goes",
    hint: "Remove what the app ships at the target (an empty directory, or one holding only .gitkeep or .keep, is replaced), or choose another target.",
  },
  VOLUME_LINK_FAILED: {
    title: "A volume could not be linked into the release",
    hint: "Read the cause shown (the app's user made the link and its directories); check the disk is not full and the release directory is the app's.",
  },
  // The life of an app (packages/core/src/pipeline): these were @hop3/cli's codes, kept as they were.
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
  RUN_COMMAND_INVALID: {
    title: "The one-off command cannot be run",
    hint: "Give the command after `--`, e.g. `hop3 run blog -- python manage.py migrate`; no argument may hold a NUL character.",
  },
  RUN_UNSUPPORTED: {
    title: "This app cannot run a one-off command here",
    hint: "A container app runs its commands in its image: use `docker exec` on its container. An app without a user of its own is deployed again to get one.",
  },
  DOMAIN_INVALID: {
    title: "A host name cannot be a domain of the app",
    hint: "Give lowercase host names such as blog.example.org: labels of a-z, 0-9 and '-' separated by dots, not under .localhost.",
  },
  DOMAIN_TAKEN: {
    title: "Another app has this domain",
    hint: "A host name routes to one app. Remove it from the other app first (`hop3 domains remove OTHER HOST`, or its hop3.toml [domains]), then deploy or add it again.",
  },
  RELEASE_NOT_FOUND: {
    title: "No release to roll back to",
    hint: "Run `hop3 releases NAME` for the app's kept releases: only one that once ran (live or superseded) can be started again. Raise HOP3_KEEP_RELEASES to keep more of them.",
  },
  KEEP_RELEASES_INVALID: {
    title: "HOP3_KEEP_RELEASES is not a number of releases",
    hint: "Set HOP3_KEEP_RELEASES to a whole number from 1 to 100 (default 5), or unset it.",
  },
  BACKUP_ID_INVALID: {
    title: "The backup id is not one Hop3 makes",
    hint: "Give an id as `hop3 backup list` shows it: APP-YYYYMMDDTHHMMSSZ-xxxx.",
  },
  BACKUP_NOT_FOUND: {
    title: "No backup archive of that id",
    hint: "Run `hop3 backup list` for the archives under <HOP3_HOME>/backups/; an archive brought from elsewhere goes there as <id>.tar.",
  },
  BACKUP_ARCHIVE_CORRUPT: {
    title: "A backup archive is damaged or incomplete",
    hint: "The archive was cut short or changed after it was written; nothing was restored. Use another backup (`hop3 backup list`), or copy the archive again from where it was kept.",
  },
  BACKUP_ARCHIVE_UNSAFE: {
    title: "A backup archive holds what no Hop3 backup holds",
    hint: "An entry is a link, a special file, a path outside the archive's tree, or not in its manifest: it was not written by `hop3 backup create`. Nothing was restored; restore only archives you trust.",
  },
  BACKUP_FORMAT_UNSUPPORTED: {
    title: "A backup archive is of a format this Hop3 does not read",
    hint: "Restore it with the Hop3 version that wrote it (its manifest's hop3Version), or upgrade Hop3.",
  },
  BACKUP_SOURCE_CHANGED: {
    title: "A file changed while the backup was written",
    hint: "Run `hop3 backup create` again when nothing writes to the app's source directory; no archive was left.",
  },
  BACKUP_SOURCE_MISSING: {
    title: "The live release's source directory is gone",
    hint: "Deploy the app again from its directory (`hop3 deploy DIR`), then back it up: the archive holds the source a restore deploys.",
  },
  BACKUP_APP_EXISTS: {
    title: "The app a backup would be restored to exists",
    hint: "Restore to a new app with `--to NEW_APP`, or replace this one's source, values and addon data with `--force`.",
  },
  BACKUP_ADDON_UNAVAILABLE: {
    title: "An addon of the backup cannot be restored here",
    hint: "Install the addon plugin of that kind in this distribution (`hop3 plugins`), or free the instance name the restore needs (`hop3 addons`); nothing was restored.",
  },
  // Addons (packages/core/src/pipeline/addons.ts).
  ADDON_NOT_FOUND: {
    title: "No addon instance of that name exists",
    hint: "Run `hop3 addons` for the list, or make one with `hop3 addons create KIND NAME`.",
  },
  ADDON_EXISTS: {
    title: "An addon instance of that name exists already",
    hint: "Pick another name, or use the existing one: `hop3 addons attach NAME APP`. `hop3 addons` lists them.",
  },
  ADDON_NAME_INVALID: {
    title: "The addon name is not valid",
    hint: "Use 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (it becomes a database, role and file name).",
  },
  ADDON_KIND_UNKNOWN: {
    title: "No registered addon plugin provides that kind",
    hint: "Use one of the kinds listed with the error (`hop3 plugins` shows what is installed), or install the plugin that provides it.",
  },
  ADDON_KIND_MISMATCH: {
    title: "hop3.toml declares an addon that exists with another kind",
    hint: "Give the [[addons]] entry another name, or the kind of the existing instance (`hop3 addons info NAME` shows it).",
  },
  ADDON_NOT_ATTACHED: {
    title: "The addon is not attached to that app",
    hint: "`hop3 addons info NAME` lists the apps it is attached to.",
  },
  ADDON_BUSY: {
    title: "Another hop3 command is changing the addons",
    hint: "Wait for it to finish and run the command again. If no hop3 process is running, the lock is released on its own.",
  },
  ADDON_IN_USE: {
    title: "The addon is attached to a running app",
    hint: "Destroying it drops its data for good and breaks the app: detach it first (`hop3 addons detach NAME APP`), or type its name again with `--confirm NAME`.",
  },
});

export type CoreErrorCode = keyof typeof coreErrorCatalog;
