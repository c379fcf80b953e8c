import type { DeployContext } from "../contracts/deployer.js";
import type { Logger } from "../logger.js";
import type { AppRecordDraft } from "./app-record.js";
import type { CoreDistribution } from "./core-distribution.js";

/** Workers listen on loopback; the router (HOP3_BIND_ADDRESS) is what faces the network. */
export const WORKER_BIND_ADDRESS = "127.0.0.1";

/** The app's env under the values set with `config set`: the attached addons' variables (by instance name, in order), under hop3.toml's [env]. */
export function appEnvWithAddons(record: Pick<AppRecordDraft, "appEnv" | "addonEnv">): Record<string, string> {
  return Object.assign({}, ...Object.keys(record.addonEnv ?? {}).sort().map((name) => record.addonEnv![name]), record.appEnv);
}

/** What a deployer needs to act on an app, from the app's record. */
export function deployContext(
  distribution: CoreDistribution,
  record: Pick<AppRecordDraft, "appEnv" | "userEnv" | "scale" | "domains" | "startTimeoutSeconds" | "limits" | "addonEnv">,
  options: { readonly signal?: AbortSignal; readonly logger?: Logger } = {},
): DeployContext {
  return {
    ...distribution.operationContext(options),
    appEnv: appEnvWithAddons(record),
    userEnv: record.userEnv,
    scale: record.scale,
    domains: record.domains,
    bindAddress: WORKER_BIND_ADDRESS,
    ...(record.startTimeoutSeconds !== undefined && { startTimeoutSeconds: record.startTimeoutSeconds }),
    ...(record.limits && { limits: record.limits }),
    router: distribution.router(),
  };
}
