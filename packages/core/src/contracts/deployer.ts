import type { BuildArtifact } from "../schemas/artifact.js";
import type { OperationContext } from "./common.js";

/** Per-worker-instance state, as a deployer sees it. */
export interface WorkerStatus {
  readonly worker: string;
  readonly instance: number;
  readonly state: "running" | "starting" | "stopped" | "failed";
  readonly pid?: number;
  readonly port?: number;
  readonly detail?: string;
}

export interface DeploymentStatus {
  readonly app: string;
  /** `partial` when some workers run and others do not. */
  readonly state: "running" | "stopped" | "partial" | "absent";
  readonly workers: readonly WorkerStatus[];
  /** Where the app answers (http://app.localhost:8080/), when routed. */
  readonly url?: string;
}

export interface DeployContext extends OperationContext {
  /** Variables set for the app (hop3.toml [env], then `hop3 config set`). */
  readonly appEnv: Readonly<Record<string, string>>;
  /** Host names the app answers to besides `<app>.localhost`. */
  readonly domains: readonly string[];
  /** Worker name to instance count. */
  readonly scale: Readonly<Record<string, number>>;
}

/** Turns an artifact into running processes and routes, and manages their life. */
export interface Deployer {
  readonly apiVersion: 1;
  readonly name: string;
  readonly description?: string;
  /** Artifact kinds this deployer runs (nix, static, docker-image...). */
  readonly kinds: readonly string[];
  deploy(artifact: BuildArtifact, context: DeployContext): Promise<DeploymentStatus>;
  start(app: string, context: DeployContext): Promise<DeploymentStatus>;
  stop(app: string, context: DeployContext): Promise<DeploymentStatus>;
  restart(app: string, context: DeployContext): Promise<DeploymentStatus>;
  destroy(app: string, context: DeployContext): Promise<void>;
  status(app: string, context: DeployContext): Promise<DeploymentStatus>;
}
