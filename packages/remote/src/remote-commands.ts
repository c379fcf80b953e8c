// Which commands go to a remote, in a module of its own: `connectEarly` decides with it before
// Hop3's modules load.

/** The commands that run on a remote when one is named: the life of an app. */
export const REMOTE_COMMANDS: ReadonlySet<string> = new Set(["deploy", "apps", "status", "logs", "config", "scale", "releases", "rollback", "restart", "stop", "start", "destroy", "domains", "addons", "plan", "validate", "backup", "run"]);
/** Those that read an app directory: it is uploaded to the server first. */
export const UPLOAD_COMMANDS: ReadonlySet<string> = new Set(["deploy", "plan", "validate"]);
