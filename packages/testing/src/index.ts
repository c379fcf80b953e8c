export { describeBuilderConformance, type BuilderConformanceOptions, type BuilderFixtures, type FailingFixture } from "./builder-conformance.js";
export { snapshotTree } from "./snapshot.js";
export { describeAddonConformance, type AddonConformanceOptions, type AddonEnv, type AddonProbe } from "./addon-conformance.js";
