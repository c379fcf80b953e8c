import { checkDomain, MAX_DOMAINS, type DeclaredDomains } from "../domain-names.js";
import { coreError } from "../error-codes.js";
import { listAppRecords, requireAppRecord, writeAppRecord, type AppRecord } from "./app-record.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { createSteps, type Steps } from "./events.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { listReleases } from "./releases.js";
import { releaseDeployer } from "./deployer-choice.js";

/** The app's domains after a change, and whether they were routed at once (the app runs) or apply at its next start. */
export interface DomainsOutcome {
  readonly app: string;
  readonly domains: readonly string[];
  readonly routed: boolean;
}

/**
 * Refuses host names another app has (in its record, routed or not: a stopped app keeps its
 * names), with DOMAIN_TAKEN naming the other app. An app's hop3.toml is the app's own, and must not
 * take a name from under another app.
 */
export function checkDomainsFree(home: string, app: string, hosts: readonly string[]): void {
  for (const other of listAppRecords(home)) {
    if (other.name === app || "corrupt" in other) continue;
    const taken = hosts.find((host) => other.domains.includes(host));
    if (taken !== undefined) {
      throw coreError("DOMAIN_TAKEN", `The domain "${taken}" cannot be given to ${app}: app "${other.name}" has it.`, { details: { app, host: taken, otherApp: other.name } });
    }
  }
}

/**
 * The app's domains once a release with these declared ones is live. Names the previous hop3.toml
 * declared and this one does not are removed; those added by hand stay unless the policy is
 * `override`.
 */
export function domainsAfterDeploy(previous: Pick<AppRecord, "domains" | "declaredDomains"> | undefined, declared: DeclaredDomains | undefined): readonly string[] {
  const list = declared?.list ?? [];
  if (declared?.policy === "override") return [...list];
  const previouslyDeclared = new Set(previous?.declaredDomains ?? []);
  const byHand = (previous?.domains ?? []).filter((host) => !previouslyDeclared.has(host));
  return [...new Set([...byHand, ...list])];
}

/** The host names the app answers to besides `<app>.localhost`. */
export function appDomains(distribution: CoreDistribution, app: string): readonly string[] {
  return requireAppRecord(distribution.home, app).domains;
}

/**
 * Adds or removes domains of the app: routed first, recorded after, so a host nginx refuses (or
 * one another app has) changes nothing.
 */
export async function changeDomains(distribution: CoreDistribution, app: string, change: "add" | "remove", hosts: readonly string[], options: PipelineOptions = {}): Promise<DomainsOutcome> {
  const checked = hosts.map((host) => checkDomain(app, host));
  if (change === "add") checkDomainsFree(distribution.home, app, checked);
  const unlock = lockApp(distribution.home, app, `domains ${change}`);
  try {
    const record = requireAppRecord(distribution.home, app);
    const domains = change === "add" ? [...new Set([...record.domains, ...checked])] : record.domains.filter((host) => !checked.includes(host));
    if (domains.length > MAX_DOMAINS) throw coreError("DOMAIN_INVALID", `${app} would have ${domains.length} domains; at most ${MAX_DOMAINS} are allowed.`, { details: { app } });
    const next = { ...record, domains };
    const routed = await reroute(distribution, createSteps(options.onStep), signalOf(options), next);
    writeAppRecord(distribution.home, next);
    return { app, domains, routed };
  } finally {
    unlock();
  }
}

/**
 * Applies the record's domains to the app's live route, when it has one that runs: its deployer's
 * `start` of a running app starts nothing new and routes it again. Returns whether it was routed.
 */
async function reroute(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, record: AppRecord): Promise<boolean> {
  const live = listReleases(distribution.home, record.name).find((r) => r.id === record.liveRelease);
  if (!live) return false;
  const deployer = releaseDeployer(distribution, live);
  const status = await deployer.status(record.name, deployContext(distribution, record, { signal }));
  if (status.state !== "running" && status.state !== "partial") return false;
  await steps.run(`route ${record.name}`, (logger) => deployer.start(record.name, deployContext(distribution, record, { signal, logger })));
  return true;
}
