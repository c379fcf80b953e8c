import { defineErrors } from "@hop3/core";

/**
 * Every code raised by @hop3/builder-local. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md. A toolchain command that times out or is cancelled keeps core's
 * COMMAND_TIMEOUT / COMMAND_CANCELLED.
 */
export const { catalog: localErrorCatalog, error: localError } = defineErrors({
  LOCAL_NO_TOOLCHAIN: {
    title: "No language toolchain recognizes the app",
    hint: 'Add the file of your language at the root of the app (requirements.txt or pyproject.toml, package.json, go.mod or a .go file, Gemfile, composer.json or a .php file, Cargo.toml, pom.xml or build.gradle, project.clj or deps.edn, a `static:` worker in the Procfile), or name a toolchain in hop3.toml: `[build] toolchain = "generic"` with `build = "..."` commands.',
  },
  LOCAL_TOOLCHAIN_UNKNOWN: {
    title: "hop3.toml [build] toolchain names a toolchain that is not installed",
    hint: "Use one of the toolchains the message lists, or add the plugin that provides it to the distribution.",
  },
  LOCAL_MANIFEST_INVALID: {
    title: "A file the toolchain reads is not usable",
    hint: "Fix the file the message names (e.g. make package.json valid JSON: `node -e 'JSON.parse(require(\"fs\").readFileSync(\"package.json\"))'` shows where it breaks) and deploy again.",
  },
  LOCAL_TOOL_MISSING: {
    title: "A program the toolchain needs is not installed",
    hint: "Install the program the message names on the server (the message says how), or make it reachable on the PATH Hop3 runs with.",
  },
  LOCAL_INSTALL_FAILED: {
    title: "Installing the app's dependencies failed",
    hint: "Read the last lines of the installer's output shown; fix the dependency list (a misspelt or missing package, a version that does not exist, a registry that cannot be reached) and deploy again.",
  },
  LOCAL_BUILD_FAILED: {
    title: "A build command of the app failed",
    hint: "Read the last lines of the command's output shown; run the same command in the app directory to reproduce it, fix it and deploy again.",
  },
  LOCAL_STATIC_DIR_MISSING: {
    title: "The static worker names a directory the build did not produce",
    hint: "Create the directory the `static:` worker names (relative to the app root), or fix the worker, or make a build command produce it.",
  },
  LOCAL_WEB_WORKER_MISSING: {
    title: "The app declares nothing to run",
    hint: "Declare a web worker: `web: <command>` in the Procfile (or `[run] start` in hop3.toml), or `static: <directory>` for a static site. The command must listen on $PORT.",
  },
  LOCAL_CLEANUP_FAILED: {
    title: "A directory of the app could not be removed",
    hint: "Look at what is left in the directory the message names (`ls -laR`): a file the app's user cannot remove stays. Remove it by hand as root once the app is stopped, then deploy again.",
  },
  LOCAL_SOURCE_COPY_FAILED: {
    title: "The app's sources could not be copied into a new release",
    hint: "Check that the app directory is readable and that HOP3_HOME has free space and is writable by the user running Hop3.",
  },
  LOCAL_DEPENDENCIES_NEED_NETWORK: {
    title: "The app's dependencies must be downloaded, and this server cannot reach their registry",
    hint: "Give the server access to the registry the message names (or to a mirror of it), or ship the dependencies with the app (vendored), or depend only on what the server's packages provide; then deploy again.",
  },
});

/** A code of @hop3/builder-local. */
export type LocalErrorCode = keyof typeof localErrorCatalog;
