import type { Distribution } from "../distribution.js";

/** What the pipeline uses of a distribution: its composition, without the pipeline's own methods. */
export type CoreDistribution = Pick<Distribution, "home" | "env" | "registry" | "loadApp" | "plan" | "build" | "deployerFor" | "router" | "operationContext" | "appContext">;
