import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OperationContext } from "@hop3/core";
import { nginxError } from "./errors.js";
import type { NginxLayout } from "./layout.js";
import { testConfig } from "./nginx-cli.js";
import type { NginxProblem } from "./nginx-messages.js";
import type { NginxSettings } from "./options.js";
import { renderMainConfig } from "./render-main.js";
import { liveSiteFiles, quarantineSite, tlsActive } from "./site-files.js";

/** A site file waiting to replace an app's live one. */
export interface CandidateSite {
  readonly app: string;
  /** The candidate file, under staging/. */
  readonly file: string;
  /** The live file it replaces (or would create). */
  readonly liveFile: string;
}

/** What `validateSites` needs to run nginx. */
export interface ValidationTarget {
  readonly context: OperationContext;
  readonly nginx: string;
  readonly layout: NginxLayout;
  readonly settings: NginxSettings;
}

/**
 * Runs `nginx -t` on a candidate main configuration: the live sites (less the ones in `exclude`)
 * plus the candidate site, if any. A live site that nginx refuses is moved aside with a warning
 * and the test runs again, so one hand-broken file never takes the others down. A refused
 * candidate raises NGINX_CONFIG_INVALID and changes nothing.
 */
export async function validateSites(target: ValidationTarget, candidate?: CandidateSite, exclude: readonly string[] = []): Promise<void> {
  const { context, layout } = target;
  const skip = new Set([...exclude, ...(candidate ? [candidate.liveFile] : [])]);
  const live = () => liveSiteFiles(layout).filter((file) => !skip.has(file));
  const candidateFiles = candidate ? [candidate.file] : [];

  // Each round either succeeds, fails for good, or moves at least one live site aside.
  for (let round = 0; round <= liveSiteFiles(layout).length + 1; round++) {
    const sites = live();
    const result = await test(target, [...sites, ...candidateFiles]);
    if (result === undefined) return;
    if (candidate && result.file === candidate.file) throw refused(candidate, result);
    if (result.file !== undefined && sites.includes(result.file)) {
      quarantineSite(result.file, result.line, context.logger);
      continue;
    }
    // A problem in Hop3's own main configuration is not a site's fault: move nothing.
    const bare = result.file === undefined ? await test(target, []) : result;
    if (bare !== undefined) {
      throw nginxError("NGINX_CONFIG_INVALID", `nginx refused its main configuration: ${bare.line}`, { details: { problem: bare } });
    }
    // nginx named no file (e.g. "could not build server_names_hash"): test each site alone.
    let moved = 0;
    for (const site of sites) {
      const alone = await test(target, [site]);
      if (alone !== undefined) {
        quarantineSite(site, alone.line, context.logger);
        moved++;
      }
    }
    if (candidate) {
      const alone = await test(target, candidateFiles);
      if (alone !== undefined) throw refused(candidate, alone);
    }
    if (moved === 0) {
      throw nginxError("NGINX_CONFIG_INVALID", `nginx refused its configuration: ${result.line}`, { details: { problem: result } });
    }
  }
  throw nginxError("NGINX_CONFIG_INVALID", "nginx kept refusing its configuration after every broken site was moved aside.", {});
}

async function test(target: ValidationTarget, sites: readonly string[]): Promise<NginxProblem | undefined> {
  const { context, nginx, layout, settings } = target;
  const conf = join(layout.staging, `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}.conf`);
  writeFileSync(conf, renderMainConfig(layout, settings, sites, tlsActive(layout)));
  try {
    const result = await testConfig(context, nginx, layout, conf);
    return result.ok ? undefined : result.problem;
  } finally {
    rmSync(conf, { force: true });
  }
}

function refused(candidate: CandidateSite, problem: NginxProblem) {
  // Name the file as it would be, not the staging copy the user never sees.
  const line = problem.line.split(candidate.file).join(candidate.liveFile);
  return nginxError(
    "NGINX_CONFIG_INVALID",
    `nginx refused the new configuration of app "${candidate.app}": ${line}\nThe new version was not installed; the previous configuration keeps serving.`,
    { details: { app: candidate.app, problem: { ...problem, line } } },
  );
}
