import type { OperationContext } from "./common.js";

/** One web worker instance the proxy forwards to. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** Everything the proxy needs to route one app. Names and paths are validated before they get here. */
export interface RouteSpec {
  readonly app: string;
  /** `<app>.localhost` first, then the app's domains. */
  readonly hosts: readonly string[];
  /** Web worker instances; empty for a static-only app. */
  readonly upstreams: readonly Upstream[];
  /** Absolute directory served at `/`; requests for missing files fall back to the upstreams, if any. */
  readonly staticDir?: string;
  /**
   * The two release slots of a deployer that starts a new release beside the live one. The router
   * keeps both in its configuration and sends each new request to `live`, so a switch that only
   * changes `live` reloads nothing; `upstreams` is then the live slot's. The slot that is not live
   * gets no request, not even as a fallback (its ports are free between releases).
   */
  readonly slots?: RouteSlots;
}

/** Which slot serves, and the web instances of each (see RouteSpec.slots). */
export interface RouteSlots {
  readonly live: "a" | "b";
  readonly a: readonly Upstream[];
  readonly b: readonly Upstream[];
}

export interface RouterStatus {
  readonly running: boolean;
  readonly pid?: number;
  /** Where the proxy listens, e.g. "127.0.0.1:8080". */
  readonly listen: string;
  /** Where it listens for HTTPS, once a certificate is installed (e.g. "127.0.0.1:8443"). */
  readonly listenTls?: string;
  readonly apps: readonly string[];
}

/**
 * The proxy in front of every app (nginx in the default distribution). Shared by the deployers;
 * a distribution has one. Every change is validated before it is applied: a change that would
 * break the configuration is refused and the running configuration keeps serving.
 */
export interface Router {
  readonly apiVersion: 1;
  readonly name: string;
  /** Starts the proxy if it does not run. */
  ensureRunning(context: OperationContext): Promise<RouterStatus>;
  /** Routes an app (adds or replaces its configuration) and returns its URL. */
  apply(route: RouteSpec, context: OperationContext): Promise<{ readonly url: string }>;
  /**
   * Resolves once no request that chose its upstream before the last `apply` is still to connect
   * to it: after a switch, what has not connected to the old slot by then never will (a drain can
   * trust what it sees). Optional: a router without it switches at once.
   */
  settle?(context: OperationContext): Promise<void>;
  /** Removes an app's routes; nothing happens when it has none. */
  remove(app: string, context: OperationContext): Promise<void>;
  /** The URL an app answers on (`http://<app>.localhost:<port>/`). */
  urlFor(app: string): string;
  status(context: OperationContext): Promise<RouterStatus>;
  stop(context: OperationContext): Promise<void>;
  /**
   * Serves each routed app with the certificates now installed under HOP3_HOME (core's
   * `installedCertificate`): HTTPS for the names that have one, HTTP redirected for public ones.
   * Every change goes through the same validated reload as `apply`; nothing reloads when no
   * certificate changed. Returns the apps whose configuration changed.
   */
  refreshCertificates?(context: OperationContext): Promise<readonly string[]>;
  /** Rotates the proxy's logs past their size (see Deployer.maintain); returns one line per thing done. */
  maintain?(context: OperationContext): Promise<readonly string[]>;
}
