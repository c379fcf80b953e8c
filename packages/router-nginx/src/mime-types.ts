/**
 * The content types Hop3's nginx sends, written into its own prefix so it does not depend on
 * where a distribution keeps /etc/nginx/mime.types.
 */
const TYPES: ReadonlyArray<readonly [string, string]> = [
  ["text/html", "html htm shtml"],
  ["text/css", "css"],
  ["text/plain", "txt"],
  ["text/xml", "xml"],
  ["text/csv", "csv"],
  ["text/markdown", "md"],
  ["application/javascript", "js mjs"],
  ["application/json", "json map"],
  ["application/manifest+json", "webmanifest"],
  ["application/wasm", "wasm"],
  ["application/pdf", "pdf"],
  ["application/zip", "zip"],
  ["application/gzip", "gz"],
  ["application/rss+xml", "rss"],
  ["application/atom+xml", "atom"],
  ["image/svg+xml", "svg svgz"],
  ["image/png", "png"],
  ["image/jpeg", "jpeg jpg"],
  ["image/gif", "gif"],
  ["image/webp", "webp"],
  ["image/avif", "avif"],
  ["image/x-icon", "ico"],
  ["font/woff", "woff"],
  ["font/woff2", "woff2"],
  ["font/ttf", "ttf"],
  ["font/otf", "otf"],
  ["audio/mpeg", "mp3"],
  ["audio/ogg", "ogg"],
  ["video/mp4", "mp4"],
  ["video/webm", "webm"],
];

/** The `types { ... }` file included by the main configuration. */
export function renderMimeTypes(): string {
  const width = Math.max(...TYPES.map(([type]) => type.length)) + 1;
  const lines = TYPES.map(([type, extensions]) => `    ${type.padEnd(width)}${extensions};`);
  return `# Managed by Hop3 (@hop3/router-nginx).\ntypes {\n${lines.join("\n")}\n}\n`;
}
