export { createPostgresAddon, createPostgresAddon as default, ADDON_KIND, loginRole } from "./addon.js";
export { postgresAddonPlugin } from "./plugin.js";
export { resolvePostgresSettings, DEBIAN_BIN_DIR, type PostgresAddonOptions, type PostgresSettings } from "./options.js";
export { postgresErrorCatalog, type PostgresErrorCode } from "./errors.js";
export { postgresLayout, type PostgresLayout } from "./layout.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { postgresAddonPlugin as hop3Plugin } from "./plugin.js";
