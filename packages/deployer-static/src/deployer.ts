import { isDirectory, validateArtifact, type BuildArtifact, type DeployContext, type Deployer, type DeploymentStatus, type WorkerStatus } from "@hop3/core";
import { staticError } from "./errors.js";
import { forgetDeployed, loadDeployed, saveDeployed } from "./state.js";
import { requireDirectory, servedDirOf, STATIC_WORKER, staticDirOf } from "./static-dir.js";

/** The deployer's name among deployers. */
export const DEPLOYER_NAME = "static";

const NOTHING_TO_SCALE = "static files are served by nginx, no process runs: there is nothing to scale";

/**
 * Creates the static deployer: a `static` artifact becomes an nginx route to its directory and
 * nothing else (no process, no port). The deployed artifact is kept under
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
      // Routed first, recorded after: a route nginx refuses leaves the previous release recorded and serving.
      await route(checked, context);
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
