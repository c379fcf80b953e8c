import { isDirectory, validateArtifact, type BuildArtifact, type DeployContext, type Deployer, type DeploymentStatus, type WorkerStatus } from "@hop3/core";
import { staticError } from "./errors.js";
import { forgetDeployed, loadDeployed, saveDeployed } from "./state.js";
import { requireDirectory, servedDirOf, STATIC_WORKER, staticDirOf } from "./static-dir.js";

/** The deployer's name among deployers. */
export const DEPLOYER_NAME = "static";

const NOTHING_TO_SCALE = "static files are served by nginx, no process runs: there is nothing to scale";

/**
 * Creates the static deployer: a `static` artifact becomes an nginx route to its directory and
 * nothing else (no process, no port). Routing is the switch, so `context.healthGate` is asked right
 * after it; a release that fails it has the route of the one that served put back. The deployed artifact is kept under
 * `<home>/apps/<app>/deploy/static.json` for start and restart.
 *
 * @example
 * const deployer = createStaticDeployer();
 * const status = await deployer.deploy(artifact, context); // status.url: http://site.localhost:8080/
 */
export function createStaticDeployer(): Deployer {
  return {
    apiVersion: 1,
    name: DEPLOYER_NAME,
    description: "Serves a static directory through the router (nginx), with no process at all",
    takes: ["static-directory"],
    async deploy(artifact, context) {
      const checked = validateArtifact(artifact, "the deploy request");
      const serving = await servingRelease(checked.appName, context);
      // Routed first, recorded after: a route nginx refuses leaves the previous release recorded and serving.
      await route(checked, context);
      try {
        // The route is the switch: the new release is asked through the router, just routed.
        await context.healthGate?.({ upstreams: [] });
      } catch (error) {
        await putBack(checked.appName, serving, context);
        throw error;
      }
      saveDeployed(context, checked);
      return statusOf(checked.appName, context);
    },
    async start(app, context) {
      await route(deployed(app, context), context);
      return statusOf(app, context);
    },
    async stop(app, context) {
      await context.router.remove(app, context);
      return statusOf(app, context);
    },
    // nginx has no per-app process: a restart is the same route applied again (validated, reloaded).
    async restart(app, context) {
      await route(deployed(app, context), context);
      return statusOf(app, context);
    },
    async scale(app, context) {
      deployed(app, context);
      const asked = context.scale[STATIC_WORKER];
      if (asked !== undefined && asked !== 1) context.logger.info(`App "${app}": ${NOTHING_TO_SCALE}; ${asked} instances asked, nothing changed.`);
      return statusOf(app, context);
    },
    async destroy(app, context) {
      await context.router.remove(app, context);
      forgetDeployed(context, app);
    },
    status: (app, context) => statusOf(app, context),
  };
}

/** The app's route: `<app>.localhost` and its domains, to its directory (confined to the build), with no upstream. */
async function route(artifact: BuildArtifact, context: DeployContext): Promise<void> {
  const app = artifact.appName;
  const staticDir = servedDirOf(artifact);
  requireDirectory(app, staticDir);
  if ((artifact.runtime.beforeRun ?? []).length > 0) {
    context.logger.warn(`App "${app}" has before-run commands; a static app runs no process, so they were not run.`);
  }
  await context.router.apply({ app, hosts: [`${app}.localhost`, ...context.domains], upstreams: [], staticDir }, context);
  context.logger.info(`App "${app}" serves ${staticDir} at ${context.router.urlFor(app)}`);
}

/** The release that serves the app now (recorded and routed), if one does: what a failed deploy puts back. */
async function servingRelease(app: string, context: DeployContext): Promise<BuildArtifact | undefined> {
  let artifact: BuildArtifact | undefined;
  try {
    artifact = loadDeployed(context, app);
  } catch {
    return undefined; // a damaged record is the deploy's to rewrite
  }
  if (artifact === undefined) return undefined;
  const router = await context.router.status(context);
  return router.running && router.apps.includes(app) ? artifact : undefined;
}

/**
 * After a release failed its health gate: the route of the release that served is applied again,
 * or, when none served, the app's route is removed. Rolling back is the deployer's (see Deployer).
 */
async function putBack(app: string, serving: BuildArtifact | undefined, context: DeployContext): Promise<void> {
  try {
    if (serving) await route(serving, context);
    else await context.router.remove(app, context);
  } catch (error) {
    context.logger.warn(`App "${app}": putting its previous route back failed: ${(error as Error).message}`);
  }
}

function deployed(app: string, context: DeployContext): BuildArtifact {
  const artifact = loadDeployed(context, app);
  if (artifact === undefined) throw staticError("STATIC_NOT_DEPLOYED", `App "${app}" has no deployed static release.`, { details: { app } });
  return artifact;
}

/** Routed (the router serves the app) and present (the directory exists) make "running". */
async function statusOf(app: string, context: DeployContext): Promise<DeploymentStatus> {
  const artifact = loadDeployed(context, app);
  if (artifact === undefined) return { app, state: "absent", workers: [] };
  const dir = staticDirOf(artifact);
  const router = await context.router.status(context);
  const routed = router.running && router.apps.includes(app);
  const present = isDirectory(dir);
  const worker: WorkerStatus = {
    worker: STATIC_WORKER,
    instance: 1,
    state: !routed ? "stopped" : present ? "running" : "failed",
    detail: present ? `served by nginx from ${dir}; ${NOTHING_TO_SCALE}` : `the directory ${dir} is missing`,
  };
  return {
    app,
    state: routed && present ? "running" : "stopped",
    workers: [worker],
    ...(routed && { url: context.router.urlFor(app) }),
  };
}
