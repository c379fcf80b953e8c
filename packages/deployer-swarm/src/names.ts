import { createHash } from "node:crypto";

/**
 * Names and labels of what the deployer makes on the swarm. Everything carries both labels, so
 * destroy finds exactly what this deployer made for the app: the Docker builder labels its own
 * images `hop3.app` too, and those are not the deployer's to remove.
 */
export const APP_LABEL = "hop3.app";
export const DEPLOYER_LABEL = "hop3.deployer";
export const DEPLOYER_LABEL_VALUE = "swarm";

export const labelsOf = (app: string): string[] => [`${APP_LABEL}=${app}`, `${DEPLOYER_LABEL}=${DEPLOYER_LABEL_VALUE}`];
export const labelFlags = (app: string): string[] => labelsOf(app).flatMap((label) => ["--label", label]);
export const labelFilters = (app: string): string[] => labelsOf(app).flatMap((label) => ["--filter", `label=${label}`]);

/** A worker's service. The `w-` keeps a worker named "edge" apart from the app's edge. */
export const serviceName = (app: string, worker: string): string => `hop3-${app}-w-${worker}`;
/** The app's edge: the one service with a published port, which nginx forwards to. */
export const edgeName = (app: string): string => `hop3-${app}-edge`;
/** The overlay network the app's services share (and no other app's). */
export const networkName = (app: string): string => `hop3-${app}`;
/** The secret holding one environment: named by its content, so an unchanged environment is reused. */
export const secretName = (app: string, content: string): string => `hop3-${app}-env-${digest(content)}`;
/** Where the secret is mounted in every task: /run/secrets/hop3-env. */
export const SECRET_TARGET = "hop3-env";
export const SECRET_PATH = `/run/secrets/${SECRET_TARGET}`;
/** The repository of the images the deployer builds for an app. */
export const imageRepository = (app: string, registry: string | undefined): string => `${registry !== undefined ? `${registry}/` : ""}hop3-swarm/${app}`;

/** Worker names become service names: DNS labels. */
export const WORKER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

export const digest = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 12);
