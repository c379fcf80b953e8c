import { defineErrors } from "@hop3/core/cli";

/** Codes raised by deploy keys, the forced command and git push. Each has a page under docs/errors/. */
export const { catalog: sshAccessErrorCatalog, error: sshAccessError } = defineErrors({
  SSH_COMMAND_REFUSED: {
    title: "A command sent through a deploy key is not one Hop3 runs",
    hint: "A deploy key runs `hop3 ...` commands and `git push` only: plain words, quoted with ' or \", without ;, |, &, $, backquotes, redirections or globs. Use the hop3 client (`hop3 --remote NAME ...`) or `git push`.",
  },
  SSH_COMMAND_MISSING: {
    title: "hop3 ssh-command ran without a command to run",
    hint: "Deploy keys give no shell: run `ssh hop3@HOST hop3 --help` for the list of commands, or use the hop3 client (`hop3 remote add`) and `git push`.",
  },
  SSH_KEY_APP_DENIED: {
    title: "This deploy key may not act on that app",
    hint: "The key was added with --apps: it runs commands that name one of those apps only. An admin can widen it with `hop3 keys remove NAME` then `hop3 keys add NAME KEY --apps ...`.",
  },
  SSH_KEY_NIX_STORE_DENIED: {
    title: "This deploy key may not copy Nix store paths to the server",
    hint: "Copying into the server's Nix store (`hop3 deploy --build-here`, nix-copy-closure) needs a key added without --apps: the store is shared by every app. Deploy from the app's directory instead (`hop3 deploy --remote NAME`, the server builds it), or have a key without --apps copy the path first.",
  },
  SSH_KEY_INVALID: {
    title: "The public key is not one line of an OpenSSH public key",
    hint: "Give the `.pub` file (e.g. ~/.ssh/id_ed25519.pub) or its line `ssh-ed25519 AAAA... comment`: a key type, its base64 and an optional comment, with no options before it.",
  },
  SSH_KEY_NAME_INVALID: {
    title: "A deploy key name is not a safe word",
    hint: "Name keys with 1 to 64 letters, digits, dots, underscores and hyphens, starting with a letter or digit (e.g. alice-laptop, ci).",
  },
  SSH_KEY_EXISTS: {
    title: "A deploy key of that name, or that key, is already there",
    hint: "Remove it first (`hop3 keys remove NAME`), or add it under another name; `hop3 keys list` shows them.",
  },
  SSH_KEY_NOT_FOUND: {
    title: "There is no deploy key of that name",
    hint: "`hop3 keys list` shows the keys and their names.",
  },
  SSH_LOGIN_MISSING: {
    title: "The server has no login user for deploy keys",
    hint: "Run `hop3 setup --yes` as root: it creates the login user, its ~/.ssh and the sudoers rule deploy keys need.",
  },
  GIT_PUSH_REFUSED: {
    title: "A git push was refused before any deploy",
    hint: "Push one branch (`git push hop3 main`); deleting a branch, pushing tags or several branches at once is not deployed. The app name is the path of the remote (hop3@HOST:APP).",
  },
  GIT_PUSH_DEPLOY_FAILED: {
    title: "The pushed commit did not deploy; the push is refused",
    hint: "Read the deploy's lines above (remote: ...). The release that served before still serves; fix the app and push again.",
  },
});

export type SshAccessErrorCode = keyof typeof sshAccessErrorCatalog;
