import type { Distribution } from "../distribution.js";
import type { OperationContext } from "./common.js";

/**
 * Work of a plugin that Hop3's own schedule runs every minute (`hop3 server maintain`), after the
 * deployers' and the router's `maintain`: renewing certificates, for one. It must be quick when
 * there is nothing to do, and keep its own pace (backoff, due dates) in its own state.
 */
export interface MaintenanceTask {
  readonly apiVersion: 1;
  /** Namespaced like any contribution, e.g. "tls-renewal". */
  readonly name: string;
  /** Does what is due; returns one line per thing done (empty: nothing was due). A coded failure is reported and the others still run. */
  run(distribution: Distribution, context: OperationContext): Promise<readonly string[]>;
}
