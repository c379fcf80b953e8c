import { createHash } from "node:crypto";
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { installedCertificate, prepareHome, readHop3Config, writeFileAtomic, type OperationContext, type RouteSpec, type Router, type RouterStatus } from "@hop3/core";
import { liveSlotFile, nginxLayout, routeFile, siteFile, type NginxLayout } from "./layout.js";
import { withLock } from "./lock.js";
import { findNginx } from "./nginx-cli.js";
import { findMaster, reloadNginx, startNginx, stopNginx } from "./nginx-process.js";
import { reopenLogs, rotatedLine, rotateLogs } from "./log-rotation.js";
import { listenAddress, resolveNginxSettings, settingsForHome, type NginxRouterOptions, type NginxSettings } from "./options.js";
import { renderSite } from "./render-site.js";
import { checkAppName, checkRoute, type CheckedRoute } from "./route-check.js";
import { BROKEN_SUFFIX, checkHostsFree, prepareLayout, readText, routedApps, tlsActive, type LayoutChange } from "./site-files.js";
import { validateSites, type ValidationTarget } from "./validate-sites.js";
import { workersLackGroups } from "./worker-groups.js";
import { workersIdledOnce } from "./worker-idle.js";

/** The longest `settle` waits for a worker busy with one event (far more than any event takes). */
const SETTLE_TIMEOUT_MS = 2_000;

/** The router's name among routers (the plugin is "@hop3/router-nginx"). */
export const ROUTER_NAME = "nginx";

/**
 * Creates the nginx router: one nginx per HOP3_HOME, under `<home>/nginx/`, started on demand,
 * one site file per app. Every change is tested with `nginx -t` before it is put in place, and
 * nginx is reloaded only then; `apply` returns once the new configuration answers. Options are
 * validated here, at once (OPTIONS_INVALID names the bad one).
 *
 * @example
 * const router = createNginxRouter({ httpPort: 8080 });
 * await router.apply({ app: "blog", hosts: ["blog.localhost"], upstreams: [], staticDir: "/srv/blog" }, context);
 */
export function createNginxRouter(options?: NginxRouterOptions, env: Readonly<Record<string, string | undefined>> = process.env): Router {
  const settings = resolveNginxSettings(options, env);
  const urlFor = (app: string) => `http://${checkAppName(app)}.localhost${settings.httpPort === 80 ? "" : `:${settings.httpPort}`}/`;
  const locked = <T>(context: OperationContext, action: (target: ValidationTarget) => Promise<T>): Promise<T> => {
    const layout = nginxLayout(context.home);
    const scope = { home: context.home, env: context.env };
    // As root, workers run as the web user: HOP3_HOME must let it pass to the prefix's logs/ and temp/.
    if (settings.asRoot) prepareHome(scope);
    const forHome = settingsForHome(settings, scope);
    return withLock(layout.lockFile, () => action({ context, layout, settings: forHome, nginx: findNginx(settings.nginx, context.env) }));
  };

  return {
    apiVersion: 1,
    name: ROUTER_NAME,
    ensureRunning: (context) => locked(context, ensureRunning),
    async apply(route: RouteSpec, context) {
      // Checked before the lock and before any file is touched: a refused route writes nothing.
      const checked = checkRoute(route);
      return locked(context, async (target) => {
        checkHostsFree(target.layout, checked.app, checked.hosts);
        const main = prepareLayout(target.layout, target.settings);
        const content = renderSite(checked, target.settings, target.layout, certificatesOf(context.home));
        // The same route again (a deploy that changed nothing) needs no test and no reload, unless
        // the workers started before their user joined a group (a new app's) and cannot read its files.
        const master = findMaster(target.layout);
        const user = target.settings.user;
        // A switch between release slots is such a route too: only the live-slot file changes.
        if (!main.changed && readText(siteFile(target.layout, checked.app)) === content && master !== undefined) {
          keepRoute(target.layout, checked);
          if (user !== undefined && workersLackGroups(master, user)) await reloadNginx(master, target.layout, target.settings.reloadTimeoutMs);
          setLiveSlot(target.layout, checked);
          return { url: urlFor(checked.app) };
        }
        // A site that had slots keeps serving the slot that served before until the new one is
        // loaded, and the switch comes after; one that had none never read the file: set it first.
        if (readRoute(target.layout, checked.app)?.slots === undefined) setLiveSlot(target.layout, checked);
        await replaceSite(target, checked.app, content, main);
        keepRoute(target.layout, checked);
        setLiveSlot(target.layout, checked);
        return { url: urlFor(checked.app) };
      });
    },
    async settle(context) {
      const master = findMaster(nginxLayout(context.home));
      if (master !== undefined) await workersIdledOnce(master, SETTLE_TIMEOUT_MS);
    },
    async remove(app, context) {
      checkAppName(app);
      if (!existsSync(nginxLayout(context.home).prefix)) return; // never routed anything here
      await locked(context, (target) => removeSite(target, app));
    },
    refreshCertificates: (context) => locked(context, refreshCertificates),
    urlFor,
    status: async (context) => statusOf(nginxLayout(context.home), settings),
    async maintain(context) {
      // Needs no nginx binary either: rotation is renames and a signal.
      const layout = nginxLayout(context.home);
      if (!existsSync(layout.logs)) return [];
      const policy = readHop3Config(context.env).logs;
      return withLock(layout.lockFile, async () => {
        const rotated = rotateLogs(layout, policy);
        if (rotated.length === 0) return [];
        const lines = rotated.map((log) => rotatedLine(log, policy));
        const master = findMaster(layout);
        if (master === undefined) return lines; // the next nginx opens new files
        if (await reopenLogs(master, rotated)) {
          lines.push(`nginx (pid ${master}) reopened its logs.`);
        } else {
          const line = `nginx (pid ${master}) did not reopen its logs within 5 s: it may still write to the rotated files (see ${layout.errorLog}).`;
          context.logger.warn(line);
          lines.push(line);
        }
        return lines;
      });
    },
    async stop(context) {
      // Needs no nginx binary: stopping is signals only.
      const layout = nginxLayout(context.home);
      if (!existsSync(layout.prefix)) return;
      await withLock(layout.lockFile, async () => {
        const master = findMaster(layout);
        if (master !== undefined) await stopNginx(master, layout);
      });
    },
  };
}

async function ensureRunning(target: ValidationTarget): Promise<RouterStatus> {
  const { layout, settings, context } = target;
  const main = prepareLayout(layout, settings);
  const master = findMaster(layout);
  if (master === undefined) {
    await validateSites(target);
    const pid = await startNginx(context, target.nginx, layout, settings);
    context.logger.info(`Started nginx (pid ${pid}) on ${listenAddress(settings)}.`);
  } else if (main.changed) {
    await undoingOnError(() => validateSites(target), main.restore);
    await activate(target, main.restore);
  }
  return statusOf(layout, settings);
}

/**
 * Puts a new site file in place: written to staging/, tested with every other live site, renamed
 * over the live one, then nginx reloaded (or started). If the reload fails the previous file is
 * put back, so what is on disk is what serves.
 */
async function replaceSite(target: ValidationTarget, app: string, content: string, main: LayoutChange): Promise<void> {
  const { layout } = target;
  const liveFile = siteFile(layout, app);
  const candidate = join(layout.staging, `${app}.conf`);
  writeFileAtomic(candidate, content);
  try {
    await undoingOnError(() => validateSites(target, { app, file: candidate, liveFile }), main.restore);
    const previous = readText(liveFile);
    renameSync(candidate, liveFile);
    await activate(target, () => {
      if (previous === undefined) rmSync(liveFile, { force: true });
      else writeFileAtomic(liveFile, previous);
      main.restore();
    });
  } finally {
    rmSync(candidate, { force: true });
  }
}

/** Takes an app's site out (and any copy of it moved aside), then reloads. */
async function removeSite(target: ValidationTarget, app: string): Promise<void> {
  const { layout } = target;
  const liveFile = siteFile(layout, app);
  rmSync(`${liveFile}${BROKEN_SUFFIX}`, { force: true });
  rmSync(routeFile(layout, app), { force: true });
  rmSync(liveSlotFile(layout, app), { force: true });
  const previous = readText(liveFile);
  if (previous === undefined) return;
  const main = prepareLayout(layout, target.settings);
  if (findMaster(layout) !== undefined) await undoingOnError(() => validateSites(target, undefined, [liveFile]), main.restore);
  rmSync(liveFile, { force: true });
  await activate(
    target,
    () => {
      writeFileAtomic(liveFile, previous);
      main.restore();
    },
    { startIfStopped: false },
  );
}

/** Reloads a running nginx (undoing the change if that fails) or starts it. */
async function activate(target: ValidationTarget, undo: () => void, { startIfStopped = true } = {}): Promise<void> {
  const { layout, settings, context } = target;
  const master = findMaster(layout);
  if (master === undefined) {
    if (startIfStopped) {
      const pid = await startNginx(context, target.nginx, layout, settings);
      context.logger.info(`Started nginx (pid ${pid}) on ${listenAddress(settings)}.`);
    }
    return;
  }
  await undoingOnError(() => reloadNginx(master, layout, settings.reloadTimeoutMs), undo);
}

async function undoingOnError<T>(action: () => Promise<T>, undo: () => void): Promise<T> {
  try {
    return await action();
  } catch (error) {
    undo();
    throw error;
  }
}

function statusOf(layout: NginxLayout, settings: NginxSettings): RouterStatus {
  const pid = findMaster(layout);
  return {
    running: pid !== undefined,
    ...(pid !== undefined && { pid }),
    listen: listenAddress(settings),
    ...(tlsActive(layout) && { listenTls: listenAddress(settings, settings.httpsPort) }),
    apps: routedApps(layout),
  };
}

/** Certificates as installed under a HOP3_HOME, with the digest of each, for renderSite. */
const certificatesOf = (home: string) => (host: string) => {
  const files = installedCertificate(home, host);
  const content = files && readText(files.served);
  return files && content !== undefined ? { ...files, digest: createHash("sha256").update(content).digest("hex").slice(0, 16) } : undefined;
};

/**
 * Points an app's requests at its live slot: creating or removing one file, which nginx tests on
 * every request (see renderSite). A route without slots has no such file.
 */
function setLiveSlot(layout: NginxLayout, route: CheckedRoute): void {
  const file = liveSlotFile(layout, route.app);
  if (route.slots?.live === "b") {
    if (!existsSync(file)) writeFileAtomic(file, "");
  } else {
    rmSync(file, { force: true });
  }
}

/** Keeps the route a site was rendered from, so a certificate change can render it again. */
function keepRoute(layout: NginxLayout, route: CheckedRoute): void {
  const file = routeFile(layout, route.app);
  const content = `${JSON.stringify(route)}\n`;
  if (readText(file) !== content) writeFileAtomic(file, content);
}

/**
 * Renders every routed app again with the certificates installed now, and swaps each site that
 * changed through the same validated reload as a deploy. A site nginx refuses (a broken
 * certificate file) keeps its previous configuration, and the other apps still get theirs.
 */
async function refreshCertificates(target: ValidationTarget): Promise<string[]> {
  const { layout, settings, context } = target;
  const main = prepareLayout(layout, settings);
  const changed: string[] = [];
  let restoreMain = main.restore;
  for (const app of routedApps(layout)) {
    const route = readRoute(layout, app);
    if (route === undefined) continue; // routed by a version that kept no route: its next deploy renders it
    const content = renderSite(route, settings, layout, certificatesOf(context.home));
    if (readText(siteFile(layout, app)) === content) continue;
    try {
      await replaceSite(target, app, content, { changed: false, restore: restoreMain });
      restoreMain = () => {}; // the first reload took the new main configuration
      changed.push(app);
    } catch (error) {
      context.logger.warn(`The certificates of app "${app}" were not put in place; it keeps serving as before: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (main.changed && changed.length === 0 && findMaster(layout) !== undefined) {
    await undoingOnError(() => validateSites(target), main.restore);
    await activate(target, main.restore);
  }
  return changed;
}

function readRoute(layout: NginxLayout, app: string): CheckedRoute | undefined {
  const text = readText(routeFile(layout, app));
  if (text === undefined) return undefined;
  try {
    // Checked again: the file is Hop3's own, but whatever reaches nginx config is checked on the way.
    return checkRoute(JSON.parse(text) as RouteSpec);
  } catch {
    return undefined;
  }
}
