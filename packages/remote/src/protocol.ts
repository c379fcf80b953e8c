/**
 * The version of the conversation between a client and a server (the command lines, the upload
 * format); both must speak the same. A module of its own so `hop3 version --json` answers without
 * loading anything else.
 *
 * 2: the client puts `--protocol=2` before the command, and the server's first line on stderr is
 * its handshake (HANDSHAKE_PREFIX and its version as JSON): the versions are exchanged in the
 * command's own session, with no round trip nor server process of their own.
 */
export const REMOTE_PROTOCOL = 2;

/** What starts the server's handshake line on stderr; the JSON of `hop3 version --json` follows. */
export const HANDSHAKE_PREFIX = "hop3-handshake ";

/** The client's first word: the protocol it speaks. */
export const PROTOCOL_OPTION = "--protocol=";
