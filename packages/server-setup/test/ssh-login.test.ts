import { describe, expect, it } from "vitest";
import { sshLoginOf } from "@hop3/core";
import { describeInstall, renderSshEntry, renderSudoers, sshLoginSteps, type SshLoginFacts } from "../src/index.js";

const install = describeInstall(["/usr/bin/node", "/opt/hop3/bin.js"], { HOP3_HOME: "/var/lib/hop3", HOP3_HTTP_PORT: "8080" });
const login = sshLoginOf({ home: "/var/lib/hop3", env: {} });
const user = { uid: 990, gid: 990, home: login.home, shell: "/bin/sh", gecos: "Hop3 login (deploy keys) of /var/lib/hop3", password: "*" };
/** A server where deploy keys' login is in place. */
const done: SshLoginFacts = { login, user, homeOwner: 990, sshDirOwner: 990, entry: renderSshEntry(install), sudoers: renderSudoers(login) };
const plan = (facts: SshLoginFacts) => {
  const notes: string[] = [];
  return { steps: sshLoginSteps(install, facts, notes), notes };
};

describe("the login of deploy keys", () => {
  it("is hop3 for /var/lib/hop3, <prefix>_ssh elsewhere", () => {
    expect(login).toEqual({ user: "hop3", home: "/var/lib/hop3/ssh", keysFile: "/var/lib/hop3/ssh/.ssh/authorized_keys", entry: "/var/lib/hop3/bin/hop3", sudoersFile: "/etc/sudoers.d/hop3" });
    expect(sshLoginOf({ home: "/srv/hop3", env: {} }).user).toMatch(/^h3[0-9a-f]{6}_ssh$/);
  });

  it("on a fresh server: makes the user (shell, password *), its home, the entry and the sudoers rule", () => {
    const { steps } = plan({ login, user: undefined, homeOwner: undefined, sshDirOwner: undefined, entry: undefined, sudoers: undefined });
    expect(steps.map((s) => s.id)).toEqual(["ssh-login-user", "ssh-login-home", "ssh-login-entry", "ssh-login-sudoers"]);
    expect(steps[0]!.commands.map((c) => c.argv)).toEqual([
      ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/var/lib/hop3/ssh", "--shell", "/bin/sh", "--comment", "Hop3 login (deploy keys) of /var/lib/hop3", "hop3"],
      ["usermod", "--password", "*", "hop3"],
    ]);
    expect(steps[1]!.commands[0]!.argv).toEqual(["install", "-d", "-m", "0700", "-o", "hop3", "-g", "hop3", "/var/lib/hop3/ssh", "/var/lib/hop3/ssh/.ssh"]);
    // sudoers.d ignores names with a dot: the new file counts only once visudo passed it and it is renamed.
    const sudoers = steps[3]!;
    expect(sudoers.files).toEqual([{ path: "/etc/sudoers.d/.hop3.new", content: renderSudoers(login), mode: 0o440 }]);
    expect(sudoers.commands.map((c) => c.argv)).toEqual([
      ["visudo", "-c", "-q", "-f", "/etc/sudoers.d/.hop3.new"],
      ["mv", "-f", "/etc/sudoers.d/.hop3.new", "/etc/sudoers.d/hop3"],
    ]);
  });

  it("allows exactly the entry's ssh-command, keeping the command sshd received", () => {
    expect(renderSudoers(login)).toContain('Defaults:hop3 env_keep += "SSH_ORIGINAL_COMMAND SSH_CONNECTION"\nhop3 ALL=(root) NOPASSWD: /var/lib/hop3/bin/hop3 ssh-command *\n');
    expect(renderSshEntry(install)).toContain("export HOP3_HOME=/var/lib/hop3\nexport HOP3_HTTP_PORT=8080\nexec /usr/bin/node /opt/hop3/bin.js \"$@\"\n");
  });

  it("never carries the client's choice of remote into the entry", () => {
    const withRemote = describeInstall(["/usr/bin/node", "/opt/hop3/bin.js"], { HOP3_HOME: "/var/lib/hop3", HOP3_REMOTE: "prod" });
    expect(renderSshEntry(withRemote)).not.toContain("HOP3_REMOTE");
  });

  it("changes nothing the second time", () => {
    expect(plan(done).steps).toEqual([]);
  });

  it("unlocks a user whose password field is locked (sshd without PAM refuses it)", () => {
    const { steps } = plan({ ...done, user: { ...user, password: "!" } });
    expect(steps.map((s) => s.commands.map((c) => c.argv))).toEqual([[["usermod", "--password", "*", "hop3"]]]);
  });

  it("leaves alone a user of that name setup did not make, and a HOP3_HOME sudoers would misread", () => {
    const person = plan({ ...done, user: { ...user, gecos: "Hop Three" } });
    expect(person.steps).toEqual([]);
    expect(person.notes[0]).toContain("did not make");
    const odd = describeInstall(["/usr/bin/node", "/opt/hop3/bin.js"], { HOP3_HOME: "/srv/my hop3" });
    const notes: string[] = [];
    expect(sshLoginSteps(odd, { ...done, login: sshLoginOf({ home: "/srv/my hop3", env: {} }) }, notes)).toEqual([]);
    expect(notes[0]).toContain("holds characters");
  });
});
