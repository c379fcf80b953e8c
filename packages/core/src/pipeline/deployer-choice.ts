import type { Deployer } from "../contracts/deployer.js";
import type { Router } from "../contracts/router.js";
import type { AppSource } from "../app.js";
import { coreError } from "../error-codes.js";
import type { AppRecord } from "./app-record.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import type { Steps } from "./events.js";
import type { Release } from "./releases.js";

/**
 * The deployer that runs a release: the one it recorded, when the distribution still has it (an
 * app that asked for one by name stays there), else the first that takes its artifact's shape.
 */
export function releaseDeployer(distribution: CoreDistribution, release: Release): Deployer {
  const recorded = distribution.registry.deployers().some((d) => d.name === release.deployer);
  return recorded ? distribution.deployerFor(release.artifact, undefined, { name: release.deployer, where: `release ${release.id}` }) : distribution.deployerFor(release.artifact);
}

/**
 * hop3.toml `[run] deployer`, checked before the build: DEPLOYER_UNKNOWN (with the file, the line and
 * the names this server has) rather than a build for nothing. Whether it takes the artifact's shape
 * is known after the build (deployerFor).
 */
export function checkNamedDeployer(distribution: CoreDistribution, app: AppSource): void {
  const named = app.config.deployer;
  if (!named) return;
  const names = distribution.registry.deployers().map((d) => d.name);
  if (names.includes(named.name)) return;
  throw coreError("DEPLOYER_UNKNOWN", `${named.where}: [run] deployer "${named.name}": this server has no deployer of that name. Deployers: ${names.join(", ") || "none"}.`, {
    details: { app: app.name, deployer: named.name, where: named.where, available: names },
  });
}

/**
 * Once a release is live on another deployer than the one that served before, what the old one
 * runs of the app is stopped and its state removed (its destroy), keeping the route: the route
 * is the new deployer's now, and removing it would drop the app's traffic. A failure is noted, not
 * raised: the new release serves.
 */
export async function retirePreviousDeployer(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, previous: AppRecord | undefined, live: Deployer, releases: readonly Release[]): Promise<void> {
  const before = releases.find((r) => r.id === previous?.liveRelease);
  if (!previous || !before || before.deployer === live.name) return;
  const old = distribution.registry.deployers().find((d) => d.name === before.deployer);
  if (!old) return;
  const context = deployContext(distribution, previous, { signal });
  const keepRoute: Router = Object.assign(Object.create(context.router) as Router, { remove: async () => undefined });
  await steps
    .run(`remove ${previous.name} from ${old.name}`, (logger) => old.destroy(previous.name, { ...context, logger, router: keepRoute }))
    .catch((error: unknown) => steps.note(`What ${old.name} ran of ${previous.name} could not be removed: ${(error as Error).message}`));
}
