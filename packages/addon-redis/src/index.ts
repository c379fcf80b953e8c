export { createRedisAddon, createRedisAddon as default, ADDON_NAME } from "./addon.js";
export { redisAddonPlugin } from "./plugin.js";
export { resolveRedisSettings, DEFAULT_REDIS_PORT, type RedisAddonOptions, type RedisSettings } from "./options.js";
export { redisErrorCatalog, type RedisErrorCode } from "./errors.js";
export { redisLayout, type RedisLayout } from "./layout.js";
export { attachmentRules, attachmentUser, keyPrefix, ADMIN_USER } from "./acl.js";
export { DUMP_FORMAT, parseDump, type DumpRecord } from "./dump.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { redisAddonPlugin as hop3Plugin } from "./plugin.js";
