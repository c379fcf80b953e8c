import { defineErrors } from "@hop3/core";
import { APP_NIX_SETTINGS } from "./app-settings.js";

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
    title: "hop3.toml [nix] options sets a Nix setting an app may not set",
    hint: `An app may set only these Nix settings: ${APP_NIX_SETTINGS.join(", ")}. Remove the others from hop3.toml [nix] options; whoever runs Hop3 can set any setting in the builder's \`options\` or in /etc/nix/nix.conf.`,
  },
  NIX_INCLUDE_NOT_ALLOWED: {
    title: "hop3.toml [nix] include names a path outside the app and the Nix store",
    hint: "Give a path inside the app directory (\"nixpkgs=./vendor/nixpkgs\"), a /nix/store path, a URL or a channel: (\"nixpkgs=channel:nixos-23.11\"); a path elsewhere on the server can be added by whoever runs Hop3 with NIX_PATH or the builder's `include` option.",
  },
  NIX_ACCESS_FORBIDDEN: {
    title: "hop3.nix reads a path outside the app and the Nix search path",
    hint: "Evaluation may read only the app's own files and the Nix search path (NIX_PATH, [nix] include). Copy the file into the app and refer to it with a relative path (./file), or have whoever runs Hop3 add its directory to NIX_PATH.",
  },
  NIX_DAEMON_UNAVAILABLE: {
    title: "The Nix daemon, through which apps build as their own users, could not be reached",
    hint: "Start the Nix daemon as root: `systemctl enable --now nix-daemon.socket` where systemd runs, otherwise `nix-daemon` (Hop3 starts it itself when it can; its log is /nix/var/log/nix/nix-daemon.log). The app users must be allowed to use it (the `allowed-users` Nix setting, and the group of /nix/var/nix/daemon-socket).",
  },
  NIX_SOURCE_COPY_FAILED: {
    title: "The app's sources could not be copied where its user builds them",
    hint: "Check that the disk holding HOP3_HOME has room and that the app directory can be read; the message says which file failed.",
  },
  NIX_RUNTIME_JSON_OUTSIDE_PACKAGE: {
    title: "The built package's hop3/runtime.json is a link out of the package",
    hint: "hop3.nix must write $out/hop3/runtime.json as a file inside $out (`mkdir -p $out/hop3` then write the file), not a symbolic link to a file elsewhere, and $out must be a directory.",
  },
  NIX_GC_ROOT_FAILED: {
    title: "The built closure could not be protected from Nix garbage collection",
    hint: "Check that the user running Hop3 may add GC roots (root, or a user of the Nix daemon with NIX_REMOTE=daemon) and can write to the app's state directory; or turn GC roots off with the builder's `gcRoots: false` option.",
  },
  NIX_STORE_PATH_INVALID: {
    title: "The path given to deploy is not a Nix store path",
    hint: "Give the path nix-build printed, as it printed it: /nix/store/<32-character hash>-<name>, with nothing after the name (`hop3 deploy --store-path $(nix-build hop3.nix -A package --no-out-link) --app NAME`).",
  },
  NIX_STORE_PATH_MISSING: {
    title: "The store path given to deploy is not in this server's Nix store",
    hint: "Copy it to the server first, with its closure: `hop3 deploy --build-here --remote NAME` does both, or `nix-copy-closure --to root@SERVER /nix/store/...` then `hop3 deploy --store-path /nix/store/... --app NAME` there.",
  },
  NIX_CONFIG_INVALID: {
    title: "The `nix` section of Hop3's config file is not valid",
    hint: "Fix the key the message names (see docs/reference/nix-distributed.md), or set it again with `hop3 nix cache set`, `hop3 nix builders add`, `hop3 nix trust`.",
  },
  NIX_BUILDER_UNREACHABLE: {
    title: "No remote Nix builder could be reached, and the config says not to build here",
    hint: "Check the builder with `hop3 nix check` (ssh as root to it, its host key, `nix store ping` there); or let Hop3 build on this server when builders are down: `hop3 nix builders fallback local`.",
  },
  NIX_SIGNATURE_INVALID: {
    title: "The binary cache holds the closure without a valid signature of a trusted key",
    hint: "Nothing of it was fetched or run. Trust the key of the server that built it (`hop3 nix trust NAME:KEY`, its `hop3 nix key show`), or rebuild and push it from a server whose key is trusted; a signature that changed in the cache means the cache was tampered with.",
  },
  NIX_CACHE_UNREACHABLE: {
    title: "The binary cache could not be reached",
    hint: "Check the URL with `hop3 nix check`: a file:// cache must be a directory holding nix-cache-info (`hop3 nix cache set file:///DIR` creates one), an ssh:// cache must accept root's key. The release that runs keeps running.",
  },
  NIX_SIGNING_FAILED: {
    title: "Hop3 could not sign the built closure with its key",
    hint: "Check the secret key file nix.signingKey names (root-only, made by `hop3 nix key generate`), or make a new one with `hop3 nix key generate --force`.",
  },
});

/** A code of @hop3/builder-nix. */
export type NixErrorCode = keyof typeof nixErrorCatalog;
