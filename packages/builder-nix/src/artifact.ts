import type { BuildArtifact, RuntimeJson } from "@hop3/core";

/** What the Nix build produced, gathered before it becomes an artifact. */
export interface NixBuildResult {
  readonly appName: string;
  /** Absolute path of the hop3.nix that was built; absent for a store path built elsewhere. */
  readonly nixFile?: string;
  /** The store path was built on another machine and copied here (`hop3 deploy --store-path`). */
  readonly prebuilt?: boolean;
  readonly storePath: string;
  /** The hash part of the store path. */
  readonly storeHash: string;
  readonly runtime: RuntimeJson;
  /** hop3.nix `env`, `{}` when absent. */
  readonly nixEnv: Readonly<Record<string, string>>;
  readonly drv?: string;
  readonly gcRoot?: string;
  /** With builders or a cache configured: "built", "built-remotely", "substituted" (nothing built) or "present". */
  readonly origin?: string;
}

/** The builder's name, as written in hop3.toml `[build] builder`. */
export const BUILDER_NAME = "nix";

/**
 * Describes the build for the deployer. `kind` is "static" when the only worker is `static` (served
 * by the web server, no process to run). Environment: hop3.nix `env` first, then runtime.json `env`
 * over it, so what the build wrote last wins.
 */
export function nixArtifact(result: NixBuildResult): BuildArtifact {
  const workers = { ...result.runtime.workers };
  const names = Object.keys(workers);
  return {
    apiVersion: 1,
    kind: names.length === 1 && names[0] === "static" ? "static" : "nix",
    location: result.storePath,
    builder: BUILDER_NAME,
    appName: result.appName,
    buildId: result.storeHash,
    builtAt: new Date().toISOString(),
    metadata: {
      ...(result.nixFile !== undefined && { nixFile: result.nixFile }),
      storePath: result.storePath,
      ...(result.prebuilt && { prebuilt: true }),
      ...(result.drv !== undefined && { drv: result.drv }),
      ...(result.gcRoot !== undefined && { gcRoot: result.gcRoot }),
      ...(result.origin !== undefined && { origin: result.origin }),
    },
    runtime: {
      workers,
      env: { ...result.nixEnv, ...result.runtime.env },
      path: [...(result.runtime.path ?? [])],
      workingDir: result.storePath,
    },
  };
}
