import type { DeployContext, Distribution, Logger } from "@hop3/core";
import type { CliIO } from "../io.js";
import type { AppRecord } from "./app-record.js";

/** Workers listen on loopback; the router (HOP3_BIND_ADDRESS) is what faces the network. */
export const WORKER_BIND_ADDRESS = "127.0.0.1";

/** What a deployer needs to act on an app, from the app's record. */
export function deployContext(
  distribution: Distribution,
  record: Pick<AppRecord, "appEnv" | "userEnv" | "scale" | "domains" | "startTimeoutSeconds" | "limits">,
  io: CliIO,
  logger?: Logger,
): DeployContext {
  return {
    ...distribution.operationContext({ signal: io.signal, ...(logger && { logger }) }),
    appEnv: record.appEnv,
    userEnv: record.userEnv,
    scale: record.scale,
    domains: record.domains,
    bindAddress: WORKER_BIND_ADDRESS,
    ...(record.startTimeoutSeconds !== undefined && { startTimeoutSeconds: record.startTimeoutSeconds }),
    ...(record.limits && { limits: record.limits }),
    router: distribution.router(),
  };
}
