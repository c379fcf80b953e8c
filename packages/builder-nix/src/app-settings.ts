/**
 * The Nix settings an app may set in hop3.toml `[nix] options`: each changes how much work a build
 * does, how long it may take or how it reports, and none can make Nix run a program of the app's
 * choosing as another user, or let evaluation read or fetch from outside the app and the Nix search
 * path. Every other setting (hooks, `sandbox`, `builders`, `plugin-files`,
 * `allow-unsafe-native-code-during-evaluation`, `restrict-eval`, `substituters`...) is refused
 * from an app; the builder's own `options`, set by whoever runs Hop3, may set anything.
 */
export const APP_NIX_SETTINGS: readonly string[] = [
  "allow-import-from-derivation",
  "allowed-uris",
  "connect-timeout",
  "cores",
  "download-attempts",
  "fallback",
  "http-connections",
  "keep-going",
  "log-lines",
  "max-build-log-size",
  "max-jobs",
  "max-silent-time",
  "pure-eval",
  "show-trace",
  "stalled-download-timeout",
  "substitute",
  "tarball-ttl",
  "timeout",
];

/**
 * One prefix of an app's `allowed-uris`: evaluation may then fetch URLs that start with it. A
 * `file:` URL or a path there would let evaluation read the server's files, so an app's value may
 * hold only http(s) prefixes.
 */
export const APP_ALLOWED_URI = /^https?:\/\/\S+$/;
