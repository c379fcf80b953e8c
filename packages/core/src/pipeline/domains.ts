import { checkDomain, MAX_DOMAINS } from "../domain-names.js";
import { coreError } from "../error-codes.js";
import { requireAppRecord, writeAppRecord, type AppRecord } from "./app-record.js";
import { deployContext } from "./context.js";
import type { CoreDistribution } from "./core-distribution.js";
import { createSteps, type Steps } from "./events.js";
import { lockApp } from "./lock.js";
import { signalOf, type PipelineOptions } from "./options.js";
import { listReleases } from "./releases.js";

/** The app's domains after a change, and whether they were routed at once (the app runs) or apply at its next start. */
export interface DomainsOutcome {
  readonly app: string;
  readonly domains: readonly string[];
  readonly routed: boolean;
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
  const deployer = distribution.deployerFor(live.artifact);
  const status = await deployer.status(record.name, deployContext(distribution, record, { signal }));
  if (status.state !== "running" && status.state !== "partial") return false;
  await steps.run(`route ${record.name}`, (logger) => deployer.start(record.name, deployContext(distribution, record, { signal, logger })));
  return true;
}
