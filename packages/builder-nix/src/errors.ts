import { defineErrors } from "@hop3/core";

/** How to install Nix, shared by NIX_NOT_INSTALLED and the command-not-found path. */
export const INSTALL_NIX_HINT =
  "Install Nix: on Debian or Ubuntu `apt-get install nix-bin`; elsewhere the official installer " +
  "(`sh <(curl -L https://nixos.org/nix/install) --daemon`, see https://nixos.org/download). Then make sure " +
  "nix-build is on the PATH of the user running Hop3, or give its full path in the builder's `nixBuild` option.";

/**
 * Every code raised by @hop3/builder-nix. Codes are never renamed; each has a page under
 * docs/errors/<CODE>.md. runtime.json problems keep core's RUNTIME_JSON_* codes.
 */
export const { catalog: nixErrorCatalog, error: nixError } = defineErrors({
  NIX_NOT_INSTALLED: {
    title: "The app needs Nix, and nix-build is not installed",
    hint: INSTALL_NIX_HINT,
  },
  NIX_FILE_MISSING: {
    title: "The Nix builder was chosen, and the app has no hop3.nix",
    hint: 'Add a hop3.nix at the root of the app (see docs/reference/hop3-nix.md), or remove `builder = "nix"` from hop3.toml [build].',
  },
  NIX_SYNTAX_ERROR: {
    title: "hop3.nix is not valid Nix",
    hint: "Fix the syntax at the line and column nix shows (a missing `;`, an unclosed `{` or a value missing after `=` are the usual causes).",
  },
  NIX_EVALUATION_ERROR: {
    title: "Nix could not evaluate hop3.nix",
    hint: "Fix the expression at the place nix shows (an undefined variable, a type error, a missing file); run `nix-instantiate --eval hop3.nix -A package` in the app directory to try it.",
  },
  NIX_PACKAGE_ATTRIBUTE_MISSING: {
    title: "hop3.nix has no `package` attribute",
    hint: "hop3.nix must evaluate to an attribute set with `package = <a derivation>;` (and optionally `env = { ... };`).",
  },
  NIX_BUILD_FAILED: {
    title: "nix-build could not build the package",
    hint: "Read the last lines of the build log shown; fix the build (the builder script, a missing input) and deploy again. `nix log <drv>` shows the whole log.",
  },
  NIX_BUILD_TIMEOUT: {
    title: "The Nix build took longer than its time limit",
    hint: "Raise the limit with `timeout = <seconds>` in hop3.toml [nix] (or the builder's `timeoutSeconds` option), or find out why the build hangs.",
  },
  NIX_OUTPUT_UNEXPECTED: {
    title: "nix-build did not print a /nix/store path",
    hint: "`package` must be a single derivation (made with `derivation`, `stdenv.mkDerivation`, `buildGoModule`...), not an attribute set or a list of other values.",
  },
  NIX_RUNTIME_JSON_MISSING: {
    title: "The built package has no hop3/runtime.json",
    hint: 'hop3.nix must create $out/hop3/runtime.json, e.g. `mkdir -p $out/hop3` then write {"workers": {"web": "..."}} to it; see docs/reference/hop3-nix.md.',
  },
  NIX_ENV_INVALID: {
    title: "The `env` attribute of hop3.nix is not an attribute set of strings",
    hint: 'Write `env = { NAME = "value"; };` with string values (quote numbers and booleans) and names made of letters, digits and `_`.',
  },
  NIX_OPTION_NOT_ALLOWED: {
    title: "hop3.toml [nix] options sets a Nix setting that only the server may set",
    hint: "Settings that make Nix run programs or change the build user (build hooks, build-users-group, plugin-files) can only be set in the builder's `options` by whoever runs Hop3. Remove it from hop3.toml.",
  },
  NIX_GC_ROOT_FAILED: {
    title: "The built closure could not be protected from Nix garbage collection",
    hint: "Check that the user running Hop3 may add GC roots (root, or a user of the Nix daemon with NIX_REMOTE=daemon) and can write to the app's state directory; or turn GC roots off with the builder's `gcRoots: false` option.",
  },
});

/** A code of @hop3/builder-nix. */
export type NixErrorCode = keyof typeof nixErrorCatalog;
