/**
 * The version of the conversation between a client and a server (the command lines, the upload
 * format); both must speak the same. A module of its own so `hop3 version --json`, asked first on
 * every remote command, answers without loading anything else.
 */
export const REMOTE_PROTOCOL = 1;
