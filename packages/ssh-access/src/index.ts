// Deploy keys: the login user's authorized_keys (hop3 keys), the forced command every key runs
// (hop3 ssh-command: strict parse, app limits, audit log, then the same CLI in-process), and
// git push deploys (a bare repository per app, Hop3's pre-receive hook).
export { keysCommands, keysAddCommand, keysListCommand, keysRemoveCommand, sshCommandCommand, gitHookCommand, sshEntryCommands, type RunCli } from "./commands.js";
export { parseShellWords } from "./shell-words.js";
export { resolveSshRequest, type SshRequest } from "./dispatch.js";
export { checkKeyName, parsePublicKey, parseKeysFile, renderKeyLine, renderKeysFile, readKeysFile, writeKeysFile, parseAppList, type DeployKey, type KeysFile } from "./authorized-keys.js";
export { appendAudit, auditLogFile, type AuditEntry } from "./audit-log.js";
export { appRepository, pushSizeLimit, commitToDeploy, exportCommit, prepareRepository, receivePack, renderPreReceiveHook, type PushedRef } from "./git-push.js";
export { sshAccessErrorCatalog, type SshAccessErrorCode } from "./errors.js";
