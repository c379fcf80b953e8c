import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineBench } from "@hop3/bench";
import { detectCgroups, ensureAppUser, findAppUser, prepareAppDirs, prepareCgroup, prepareHome, readHop3Config, removeAppUser, removeCgroups, type UserScope } from "@hop3/core";

// What isolation adds to a deploy: the app's user, its directories and modes, its cgroup with its
// limits. Measured against the raw tool doing the one indispensable part (useradd for a first deploy,
// a passwd lookup for a redeploy). Needs root, as Hop3 does to isolate apps.
const home = mkdtempSync(join(tmpdir(), "hop3-bench-iso-"));
const scope: UserScope = { home, env: { PATH: process.env.PATH } };
const APP = "bench-iso";
const RAW_USER = `h3bench${process.pid % 100_000}`;
const support = detectCgroups();
const limits = readHop3Config({}).limits;

/** Everything Hop3 does for isolation before an app's processes start. */
function isolate(): void {
  prepareHome(scope);
  const user = ensureAppUser(scope, APP);
  prepareAppDirs(scope, APP, user);
  prepareCgroup(support, user.name, "a", limits);
}

/** Back to before the first deploy: no app user, directory or cgroup, no raw user. */
function forget(): void {
  const user = findAppUser(scope, APP);
  if (user) removeCgroups(support, user.name);
  removeAppUser(scope, APP);
  rmSync(join(home, "apps", APP), { recursive: true, force: true });
  spawnSync("userdel", [RAW_USER], { stdio: "ignore" });
}

export default defineBench({
  name: "isolation",
  setup() {
    if (process.getuid?.() !== 0) throw new Error("the isolation bench needs root: Hop3 isolates apps only when it runs as root");
    return () => {
      forget();
      rmSync(home, { recursive: true, force: true });
    };
  },
  cases: [
    {
      name: "first deploy: user, directories, cgroup and limits",
      subject: { label: "isolate a new app", run: isolate },
      baseline: { label: "useradd --system", run: () => execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RAW_USER]) },
      beforeEach: forget,
      iterations: 10,
      cold: true,
      goal: "< 50 ms",
    },
    {
      name: "redeploy: the same, all in place",
      subject: { label: "isolate a deployed app", run: isolate },
      baseline: { label: "id -u (passwd lookup)", run: () => execFileSync("id", ["-u", "root"]) },
      iterations: 20,
      goal: "< 50 ms",
    },
  ],
});
