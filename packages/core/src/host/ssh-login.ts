import { join, resolve } from "node:path";
import { SYSTEM_HOME } from "../home.js";
import { userPrefix, type UserScope } from "./users.js";

/**
 * Where deploy keys land on a server: the login user sshd lets them in as, the authorized_keys file
 * `hop3 keys` manages, the hop3 their forced command runs (through sudo) and the sudoers drop-in
 * that allows exactly that. `hop3 setup` makes them; `hop3 keys` and `hop3 ssh-command` use them.
 */
export interface SshLogin {
  /** `hop3` for /var/lib/hop3, else `<user prefix>_ssh`: one login per HOP3_HOME. */
  readonly user: string;
  /** Its HOME, `<HOP3_HOME>/ssh` (the login user's, 0700). */
  readonly home: string;
  /** `<home>/.ssh/authorized_keys` (the login user's, 0600). */
  readonly keysFile: string;
  /** `<HOP3_HOME>/bin/hop3`: this server's hop3 with its HOP3_HOME, what the forced command runs as root. */
  readonly entry: string;
  /** `/etc/sudoers.d/<user>`: the one command the login user may run as root. */
  readonly sudoersFile: string;
}

/** The SSH login of a HOP3_HOME. */
export function sshLoginOf(scope: UserScope): SshLogin {
  const home = resolve(scope.home);
  const prefix = userPrefix(scope);
  const user = home === SYSTEM_HOME && prefix === "hop3" ? "hop3" : `${prefix}_ssh`;
  const loginHome = join(home, "ssh");
  return { user, home: loginHome, keysFile: join(loginHome, ".ssh", "authorized_keys"), entry: join(home, "bin", "hop3"), sudoersFile: `/etc/sudoers.d/${user}` };
}
