import { shellQuote, sshLoginOf, type SshLogin, type SystemRequirement } from "@hop3/core";
import type { Hop3Install } from "./boot.js";
import type { SetupStep } from "./plan.js";

/** What deploy keys need on the server: sudo (the forced command runs hop3 as root) and an SSH server. */
export const SSH_ACCESS_REQUIREMENTS: readonly SystemRequirement[] = [
  { id: "sudo", program: "sudo", debianPackages: ["sudo"], enables: "deploy keys: their forced command runs hop3 as root", manualInstall: "Install sudo with your system's package manager." },
  { id: "sshd", program: "sshd", debianPackages: ["openssh-server"], enables: "deploying from your machine and git push, over SSH", manualInstall: "Install and start OpenSSH's server (sshd)." },
];

/** The login user as it is, from /etc/passwd and /etc/shadow. */
export interface LoginUserFacts {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
  readonly gecos: string;
  /** Its /etc/shadow password field: `!...` is locked, which sshd (without PAM) refuses. */
  readonly password: string | undefined;
}

/** What setup knows of deploy keys' login on this machine. */
export interface SshLoginFacts {
  readonly login: SshLogin;
  /** Undefined when the user does not exist. */
  readonly user: LoginUserFacts | undefined;
  /** Owner uid of its home and of its ~/.ssh (undefined: missing). */
  readonly homeOwner: number | undefined;
  readonly sshDirOwner: number | undefined;
  /** Current text of the entry script and of the sudoers drop-in (undefined: missing). */
  readonly entry: string | undefined;
  readonly sudoers: string | undefined;
}

const GECOS = "Hop3 login (deploy keys)";
const MARKER = "# Made by `hop3 setup`";
/** Paths that go into sudoers and authorized_keys as they are: nothing either would read specially. */
const PLAIN_PATH = /^\/[A-Za-z0-9_@%+=:,./-]+$/;

/** Reads the login user's facts through setup's probes (files only). */
export function gatherSshLoginFacts(install: Hop3Install, readFile: (path: string) => string | undefined, ownerUid: (path: string) => number | undefined): SshLoginFacts {
  const login = sshLoginOf({ home: install.home, env: { ...install.settings } });
  const passwd = readFile("/etc/passwd")?.split("\n").map((line) => line.split(":")).find((fields) => fields[0] === login.user && fields.length >= 7);
  const shadow = readFile("/etc/shadow")?.split("\n").map((line) => line.split(":")).find((fields) => fields[0] === login.user);
  const user = passwd && { uid: Number(passwd[2]), gid: Number(passwd[3]), gecos: passwd[4] ?? "", home: passwd[5] ?? "", shell: passwd[6] ?? "", password: shadow?.[1] };
  return { login, user, homeOwner: ownerUid(login.home), sshDirOwner: ownerUid(`${login.home}/.ssh`), entry: readFile(login.entry), sudoers: readFile(login.sudoersFile) };
}

/** `<HOP3_HOME>/bin/hop3`: this install with its HOP3_HOME and settings, as the forced command runs it. */
export function renderSshEntry(install: Hop3Install): string {
  const environment = [["HOP3_HOME", install.home], ...(install.configFile ? [["HOP3_CONFIG", install.configFile]] : []), ...Object.entries(install.settings)];
  return [
    "#!/bin/sh",
    `${MARKER}: the hop3 deploy keys run (sudo -n THIS ssh-command --key NAME), with this server's settings.`,
    ...environment.map(([name, value]) => `export ${name}=${shellQuote(value!)}`),
    `exec ${install.command.map(shellQuote).join(" ")} "$@"`,
    "",
  ].join("\n");
}

/**
 * The sudoers drop-in: the login user runs exactly `ENTRY ssh-command ...` as root, without a
 * password, keeping the command sshd received and where the connection came from.
 */
export function renderSudoers(login: SshLogin): string {
  return [
    `${MARKER}: deploy keys (hop3 keys) run this one command as root. hop3 setup rewrites this file.`,
    `Defaults:${login.user} env_keep += "SSH_ORIGINAL_COMMAND SSH_CONNECTION"`,
    `${login.user} ALL=(root) NOPASSWD: ${login.entry} ssh-command *`,
    "",
  ].join("\n");
}

/**
 * The steps that give deploy keys their login: the user (a shell for sshd's forced command, the
 * password field `*` so sshd does not take it for a locked account), its ~/.ssh, the entry script
 * and the sudoers drop-in (checked by visudo before it is put in place). Each appears only when
 * something differs from what it makes.
 */
export function sshLoginSteps(install: Hop3Install, facts: SshLoginFacts, notes: string[]): SetupStep[] {
  const { login, user } = facts;
  if (!PLAIN_PATH.test(install.home)) {
    notes.push(`Deploy keys are not set up: HOP3_HOME (${install.home}) holds characters sudoers and authorized_keys would read specially.`);
    return [];
  }
  if (user !== undefined && !user.gecos.startsWith(GECOS)) {
    notes.push(`A user ${login.user} exists that hop3 setup did not make: deploy keys are not set up (hop3 keys would write its authorized_keys).`);
    return [];
  }
  const steps: SetupStep[] = [];
  const base = { component: "ssh-login", optional: false } as const;
  const userCommands = [
    ...(user === undefined
      ? [{ argv: ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", login.home, "--shell", "/bin/sh", "--comment", `${GECOS} of ${install.home}`, login.user] }]
      : []),
    ...(user === undefined || user.password === undefined || user.password.startsWith("!") ? [{ argv: ["usermod", "--password", "*", login.user] }] : []),
  ];
  if (userCommands.length > 0) {
    steps.push({ ...base, id: "ssh-login-user", title: `make ${login.user}, the login of deploy keys`, kind: "user", commands: userCommands, hint: `Make the user by hand: useradd --system --user-group --home-dir ${login.home} --shell /bin/sh ${login.user}; usermod -p '*' ${login.user}.` });
  }
  if (user === undefined || facts.homeOwner !== user.uid || facts.sshDirOwner !== user.uid) {
    steps.push({
      ...base,
      id: "ssh-login-home",
      title: `give ${login.user} its home and ~/.ssh (0700)`,
      kind: "files",
      commands: [{ argv: ["install", "-d", "-m", "0700", "-o", login.user, "-g", login.user, login.home, `${login.home}/.ssh`] }],
      hint: `Create ${login.home} and ${login.home}/.ssh, owned by ${login.user}, mode 0700.`,
    });
  }
  const entry = renderSshEntry(install);
  if (facts.entry !== entry) {
    steps.push({ ...base, id: "ssh-login-entry", title: `write ${login.entry}, the hop3 deploy keys run`, kind: "files", commands: [], files: [{ path: login.entry, content: entry, mode: 0o755 }], hint: `Write ${login.entry} by hand (hop3 setup --dry-run shows it).` });
  }
  const sudoers = renderSudoers(login);
  if (facts.sudoers !== sudoers) {
    // sudo skips files of sudoers.d whose name holds a dot: the new file is read only once visudo accepts it and it is renamed.
    const staged = `/etc/sudoers.d/.${login.user}.new`;
    steps.push({
      ...base,
      id: "ssh-login-sudoers",
      title: `let ${login.user} run hop3 ssh-command as root (${login.sudoersFile})`,
      kind: "files",
      files: [{ path: staged, content: sudoers, mode: 0o440 }],
      commands: [{ argv: ["visudo", "-c", "-q", "-f", staged] }, { argv: ["mv", "-f", staged, login.sudoersFile] }],
      hint: `Check the file with visudo -cf ${staged}; ${login.sudoersFile} is only replaced once it passes.`,
    });
  }
  return steps;
}
