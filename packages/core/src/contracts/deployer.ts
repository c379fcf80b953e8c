import type { ArtifactShape } from "../formats/artifact-shape.js";
import type { AppLimits } from "../host/limits.js";
import type { Hop3Error } from "../errors.js";
import type { BuildArtifact } from "../schemas/artifact.js";
import type { OperationContext } from "./common.js";
import type { Router, Upstream } from "./router.js";

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
  /** `partial` when some workers run and others do not; `absent` when the deployer never deployed the app. */
  readonly state: "running" | "stopped" | "partial" | "absent";
  readonly workers: readonly WorkerStatus[];
  /** Where the app answers (http://app.localhost:8080/), when routed. */
  readonly url?: string;
}

/**
 * What a deployer is given besides the artifact. A worker's environment is merged in this order,
 * later wins: the artifact's `runtime.env`, `appEnv`, `userEnv`, then what Hop3 assigns (PORT,
 * BIND_ADDRESS), which nothing overrides.
 */
export interface DeployContext extends OperationContext {
  /** hop3.toml `[env]` of the app. */
  readonly appEnv: Readonly<Record<string, string>>;
  /** Values the user set for the app (`hop3 config set`). */
  readonly userEnv: Readonly<Record<string, string>>;
  /** Host names the app answers to besides `<app>.localhost`, already validated. */
  readonly domains: readonly string[];
  /** Worker name to instance count; a worker not named runs one instance. */
  readonly scale: Readonly<Record<string, number>>;
  /** How long a new release may take to start (hop3.toml [run] start-timeout); the deployer's default otherwise. */
  readonly startTimeoutSeconds?: number;
  /**
   * What the app may use (hop3.toml [limits] within the server's maximum, else the server's
   * defaults); absent: the defaults of Hop3's config. The processes of each release get them.
   */
  readonly limits?: AppLimits;
  /** Address web workers listen on (BIND_ADDRESS), 127.0.0.1 unless configured. */
  readonly bindAddress: string;
  /** The proxy that routes host names to the app and serves its static files. */
  readonly router: Router;
  /**
   * The release's health check (the pipeline's, one module: packages/core/src/pipeline/health.ts),
   * asked before a new release keeps traffic. A deployer that starts a release beside the running
   * one asks it of the new web instances once they listen (`upstreams`), before it switches the
   * route. A deployer whose route is the switch (a static site: no instance to ask) asks it with no
   * upstreams right after routing: it then checks through the router. When it throws, the deployer
   * does what `Deployer.deploy` promises (the release that served still serves) and rethrows.
   * Absent: listening is enough.
   */
  readonly healthGate?: (request: HealthGateRequest) => Promise<void>;
}

/** What `DeployContext.healthGate` is asked about. */
export interface HealthGateRequest {
  /**
   * The new release's web instances, not yet routed: asked directly on their ports. Empty when the
   * release has no instance of its own: it is then asked through the router, already routed.
   */
  readonly upstreams: readonly Upstream[];
}

/** What `Deployer.check` is shown of a release before it is built. */
export interface ReleasePreview {
  readonly app: string;
  /** The release's workers (name to command) as the app declares them (Procfile, hop3.toml); the build may add defaults. */
  readonly workers: Readonly<Record<string, string>>;
  /** The artifact's shape (see ARTIFACT_SHAPES): the reason this deployer is the one asked. */
  readonly shape: ArtifactShape;
  /** Hop3's environment (PATH...), as the deploy will see it. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Where one worker instance writes its output. */
export interface WorkerLog {
  readonly worker: string;
  readonly instance: number;
  readonly path: string;
}

/** A background service a deployer relies on (the uWSGI emperor), as `hop3 server` shows it. */
export interface ServiceStatus {
  readonly name: string;
  readonly running: boolean;
  readonly pid?: number;
  readonly detail?: string;
}

/**
 * Turns an artifact into running processes and routes, and manages their life.
 *
 * What each side does, so nothing is done twice:
 * - Rollback of a failed deploy is the deployer's alone. When `deploy()` throws, the release that
 *   served before still serves: kept (the new one was started beside it, failed, and was stopped)
 *   or restored by the deployer. A failed release of an app that had none serving is stopped, its
 *   logs kept. The caller never deploys an older release again to repair a failed deploy; it only
 *   records the failure (and, once `deploy()` resolved, confirms the app through the router). The
 *   one exception is an app moving to another deployer: the previous deployer, which the failed
 *   deploy never reached, is asked to `start()` its release again.
 * - An app the deployer never deployed is an answer, not an error: `status()` and `stop()` return
 *   `{ app, state: "absent", workers: [] }`, `logFiles()` returns [], `destroy()` does nothing.
 *   `start()`, `restart()` and `scale()` of such an app raise the deployer's own coded error.
 */
export interface Deployer {
  readonly apiVersion: 1;
  readonly name: string;
  readonly description?: string;
  /**
   * The artifact shapes this deployer runs (see ARTIFACT_SHAPES): what an artifact is, never
   * what it is called, so a plugin's new artifact kind needs no change here. The distribution
   * gives an artifact to the first deployer that takes its shape.
   */
  readonly takes: readonly ArtifactShape[];
  /**
   * Optional: shapes it runs only for an app that names it (hop3.toml `[run] deployer`), never
   * by default: the Swarm deployer runs a Nix closure packed into an image when asked, while the
   * server's other apps of that shape stay with the deployer that takes it.
   */
  readonly takesWhenNamed?: readonly ArtifactShape[];
  /**
   * Runs the artifact as the app's release and routes it, through `context.healthGate`. Resolves
   * once it serves; when it throws, what served before still serves (see above).
   */
  deploy(artifact: BuildArtifact, context: DeployContext): Promise<DeploymentStatus>;
  /**
   * Optional: the coded errors `deploy` would raise for a release with these workers, found before
   * the build (a worker type it does not run, a plugin this host lacks), [] when it would run it.
   * Without side effects and quick: `hop3 plan`, `hop3 validate` and the plan step of a deploy ask
   * it. `deploy` still checks what it is given: where only the build knows the workers (Nix), this
   * is not asked.
   */
  check?(preview: ReleasePreview): readonly Hop3Error[] | Promise<readonly Hop3Error[]>;
  start(app: string, context: DeployContext): Promise<DeploymentStatus>;
  /** Stops the app's processes and routes, keeping what it needs to start again; `absent` for an app it never deployed. */
  stop(app: string, context: DeployContext): Promise<DeploymentStatus>;
  restart(app: string, context: DeployContext): Promise<DeploymentStatus>;
  /** Applies `context.scale` to the deployed release (N instances of a worker). */
  scale(app: string, context: DeployContext): Promise<DeploymentStatus>;
  destroy(app: string, context: DeployContext): Promise<void>;
  /** What runs of the app; `absent` for an app it never deployed. Read-only. */
  status(app: string, context: DeployContext): Promise<DeploymentStatus>;
  /** The log files of the app's worker instances, for `hop3 logs`; [] for an app it never deployed. */
  logFiles?(app: string, context: OperationContext): Promise<readonly WorkerLog[]>;
  /** Starts the background service the deployer relies on, if it has one (`hop3 server start`). */
  startService?(context: OperationContext): Promise<ServiceStatus>;
  /** Stops that service; the apps it supervises stop with it. */
  stopService?(context: OperationContext): Promise<ServiceStatus>;
  serviceStatus?(context: OperationContext): Promise<ServiceStatus>;
  /**
   * Keeps what the deployer's processes pile up within bounds: rotates and caps their logs
   * (Hop3's config `logs`). Run every minute by Hop3's own schedule and by `hop3 server maintain`;
   * quick when there is nothing to do. Returns one line per thing it did.
   */
  maintain?(context: OperationContext): Promise<readonly string[]>;
}
