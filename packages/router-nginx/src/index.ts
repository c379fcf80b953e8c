export { createNginxRouter, createNginxRouter as default, ROUTER_NAME } from "./router.js";
export { nginxRouterPlugin } from "./plugin.js";
export { resolveNginxSettings, type NginxRouterOptions, type NginxSettings } from "./options.js";
export { nginxErrorCatalog, type NginxErrorCode } from "./errors.js";
export { nginxLayout, type NginxLayout } from "./layout.js";
export { checkRoute, type CheckedRoute } from "./route-check.js";
export { renderSite } from "./render-site.js";
export { renderMainConfig, UNKNOWN_HOST_BODY } from "./render-main.js";
/** What run-time plugin loading (HOP3_PLUGINS, package.json hop3.plugins) imports. */
export { nginxRouterPlugin as hop3Plugin } from "./plugin.js";
