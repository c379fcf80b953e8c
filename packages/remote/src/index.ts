export { remoteSupport, withoutRemote, type RemoteSupportFor, type RouteRequest } from "./support.js";
export { REMOTE_COMMANDS, UPLOAD_COMMANDS } from "./remote-commands.js";
export { connectEarly, earlyTarget } from "./early.js";
export { runOnRemote, checkServerVersion, uploadAppName, type RemoteRun, type ServerVersion } from "./client.js";
export { REMOTE_PROTOCOL } from "./protocol.js";
export { openSession, sshSettings, connectionError, type SshSession, type SshSettings, type ExecResult, type ExecStreams } from "./ssh.js";
export {
  parseRemoteUrl,
  checkRemoteName,
  remotesFile,
  readRemotes,
  writeRemotes,
  listRemotes,
  addRemote,
  removeRemote,
  setDefaultRemote,
  findRemote,
  chosenRemote,
  type Remote,
  type RemotesFile,
  type SshTarget,
} from "./remotes.js";
export { packSource, sourceEntries, type PackOptions, type SourceEntry } from "./pack.js";
export { unpackUpload, receiveAppSource, receiveScratchSource, uploadMaxBytes, DEFAULT_UPLOAD_MAX_BYTES, type ReceiveOptions, type Unpacked } from "./receive.js";
export { remoteCommands, gitRemoteFor } from "./commands.js";
export { remoteErrorCatalog, remoteError, type RemoteErrorCode } from "./errors.js";
