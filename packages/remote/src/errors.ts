import { defineErrors } from "@hop3/core/cli";

/** Codes of remotes, the SSH transport and the upload. Each has a page under docs/errors/. */
export const { catalog: remoteErrorCatalog, error: remoteError } = defineErrors({
  REMOTE_URL_INVALID: {
    title: "A remote's address is not an ssh:// URL Hop3 can use",
    hint: "Give it as ssh://USER@HOST or ssh://USER@HOST:PORT (a host name, an IPv4 address or an IPv6 address in brackets), e.g. `hop3 remote add prod ssh://root@example.com`.",
  },
  REMOTE_NAME_INVALID: {
    title: "A remote's name is not a short name of letters, digits and hyphens",
    hint: "Name remotes with lowercase letters, digits and hyphens, starting with a letter (prod, staging-2).",
  },
  REMOTE_EXISTS: {
    title: "A remote of that name is already known",
    hint: "Remove it first (`hop3 remote remove NAME`) or choose another name; `hop3 remote list` shows them.",
  },
  REMOTE_UNKNOWN: {
    title: "No remote of that name is known on this machine",
    hint: "Add it with `hop3 remote add NAME ssh://USER@HOST[:PORT]`; `hop3 remote list` shows the remotes known here.",
  },
  REMOTES_FILE_INVALID: {
    title: "The file of remotes cannot be read",
    hint: "Fix or remove the file named (it is JSON: { \"default\": NAME, \"remotes\": { NAME: { \"url\": ..., \"command\": ... } } }), then add the remotes again with `hop3 remote add`.",
  },
  REMOTE_SSH_MISSING: {
    title: "The ssh client is not installed on this machine",
    hint: "Install OpenSSH's client (`apt install openssh-client`, `brew install openssh`): Hop3 reaches servers with the system `ssh`, so that your ~/.ssh/config, agent and known_hosts apply.",
  },
  REMOTE_UNREACHABLE: {
    title: "The server of the remote could not be reached",
    hint: "Check the host name and port of the remote (`hop3 remote list`), your network, and that sshd runs on the server: `ssh -p PORT USER@HOST true` should connect.",
  },
  REMOTE_KEY_REFUSED: {
    title: "The server refused every SSH key this machine offered",
    hint: "Add your public key to the server (`hop3 keys add NAME \"$(cat ~/.ssh/id_ed25519.pub)\"` on the server, or the user's authorized_keys), or load the right key in your agent (`ssh-add`); Hop3 never asks for a password.",
  },
  REMOTE_HOST_UNKNOWN: {
    title: "The server's host key is not in known_hosts",
    hint: "Connect once with `ssh -p PORT USER@HOST` and compare the key's fingerprint with the server's own (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` there) before you accept it; Hop3 never accepts an unknown host key on its own.",
  },
  REMOTE_HOST_KEY_CHANGED: {
    title: "The server's host key is not the one known_hosts holds for it",
    hint: "Someone may be intercepting the connection, or the server was reinstalled. Check the new key's fingerprint on the server itself (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`); only if it matches, remove the old one (`ssh-keygen -R HOST`, `-R '[HOST]:PORT'` with a port) and connect once with ssh to accept it.",
  },
  REMOTE_HOP3_MISSING: {
    title: "The server has no hop3 program to run",
    hint: "Install Hop3 on the server (`npm install -g @hop3/cli`, then `hop3 setup`), or tell the remote where it is: `hop3 remote add NAME URL --command /path/to/hop3` (or `--command 'sudo -n hop3'`).",
  },
  REMOTE_VERSION_MISMATCH: {
    title: "The server's Hop3 speaks another version of the remote protocol than this one",
    hint: "Upgrade the older side so both speak the same protocol: on this machine `npm install -g @hop3/cli@latest` (or `npx @hop3/cli@latest`), on the server `npm install -g @hop3/cli@latest` as root.",
  },
  REMOTE_UPLOAD_INTERRUPTED: {
    title: "The connection was lost while the app was uploading; nothing changed on the server",
    hint: "Run the same deploy again once the connection is back: the server discards an incomplete upload and keeps serving what it served.",
  },
  REMOTE_CONNECTION_LOST: {
    title: "The connection to the server was lost while the command ran there",
    hint: "The command goes on on the server (a deploy finishes or rolls back on its own): run `hop3 status APP --remote NAME` to see what happened.",
  },
  UPLOAD_TOO_LARGE: {
    title: "The uploaded app is larger than the server accepts",
    hint: "Leave out what the app does not need (build output, dependencies, data) with a .hop3ignore file, or raise the limit on the server: HOP3_UPLOAD_MAX_SIZE (e.g. 2G) in the environment of its hop3.",
  },
  UPLOAD_PATH_UNSAFE: {
    title: "The uploaded archive holds an entry that would land outside the app's directory",
    hint: "Hop3 unpacks only files, directories and relative links that stay inside the app: remove the entry named (an absolute path, a `..`, a link out of the app, a device) and deploy again. `hop3 deploy` makes such archives only from a link it was given: check the app directory.",
  },
  UPLOAD_INCOMPLETE: {
    title: "The uploaded archive ended before its end",
    hint: "The upload was cut (a lost connection, a client killed): nothing changed. Deploy again; if it keeps failing, check the archive you send (`tar -tf`).",
  },
  BUILD_HERE_FAILED: {
    title: "hop3 deploy --build-here could not build the app with Nix on this machine",
    hint: "Read nix-build's last lines above and fix the build (try `nix-build hop3.nix -A package --no-out-link` in the app directory); install Nix on this machine if nix-build is missing. Without Nix here, deploy without --build-here: the server builds.",
  },
  BUILD_HERE_COPY_FAILED: {
    title: "The package built here could not be copied to the server's Nix store",
    hint: "nix-copy-closure needs a login that may import into the server's store: a deploy key added without --apps, or root. Check the lines of nix-copy-closure shown (the server's refusal is among them), and that the server has Nix (`nix-store --version` there).",
  },
});

export type RemoteErrorCode = keyof typeof remoteErrorCatalog;
