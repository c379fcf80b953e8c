import { Hop3Error, runCommand } from "@hop3/core";
import { defineCommand } from "../command.js";
import { detectNixMode } from "../setup/nix-mode.js";

interface Check {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  /** Picks the version out of the program's output. */
  readonly version: (output: string) => string | undefined;
  readonly neededFor: string;
  readonly install: string;
}

const firstMatch = (pattern: RegExp) => (output: string) => pattern.exec(output)?.[1];

const CHECKS: readonly Check[] = [
  { name: "nix-build", file: "nix-build", args: ["--version"], version: firstMatch(/(\d+\.\d+[\w.]*)/), neededFor: "apps with a hop3.nix", install: "apt-get install nix-bin (Debian/Ubuntu), or the installer at https://nixos.org/download" },
  { name: "uwsgi", file: "uwsgi", args: ["--version"], version: firstMatch(/^(\S+)/), neededFor: "apps with processes (web and other workers)", install: "apt-get install uwsgi-core" },
  { name: "nginx", file: "nginx", args: ["-v"], version: firstMatch(/nginx\/(\S+)/), neededFor: "every app (routing and static files)", install: "apt-get install nginx" },
  { name: "docker", file: "docker", args: ["version", "--format", "{{.Server.Version}}"], version: firstMatch(/^(\S+)/), neededFor: "apps with a Dockerfile", install: "apt-get install docker.io, then start the engine (systemctl start docker)" },
];

export const doctorCommand = defineCommand({
  name: ["doctor"],
  summary: "Check what is installed and what each kind of app needs",
  usage: "hop3 doctor [--json]",
  async run({ io }) {
    const results = await Promise.all(
      CHECKS.map(async (check) => {
        try {
          const result = await runCommand(check.file, check.args, { timeoutMs: 5_000, allowFailure: true, env: io.env, extendEnv: false });
          const output = `${result.stdout}\n${result.stderr}`.trim();
          const ok = result.exitCode === 0;
          return { name: check.name, ok, version: ok ? check.version(output) ?? output.split("\n")[0] : undefined, problem: ok ? undefined : output.split("\n").at(-1), neededFor: check.neededFor, install: check.install };
        } catch (error) {
          const problem = Hop3Error.is(error) && error.code === "COMMAND_NOT_FOUND" ? "not installed" : (error as Error).message;
          return { name: check.name, ok: false, version: undefined, problem, neededFor: check.neededFor, install: check.install };
        }
      }),
    );
    const node = { name: "node", ok: true, version: process.versions.node, neededFor: "hop3 itself" };
    const text = [`ok   node ${node.version}`];
    for (const r of results) {
      text.push(r.ok ? `ok   ${r.name} ${r.version ?? ""}`.trimEnd() : `miss ${r.name}: ${r.problem}; needed for ${r.neededFor}. Install: ${r.install}`);
    }
    // Which Nix mode is in place (hop3 setup chooses it: multi-user with systemd, single-user without).
    const nix = detectNixMode(io.env);
    if (results.some((r) => r.name === "nix-build" && r.ok)) {
      text.push(`${nix.usable ? "ok  " : "warn"} nix mode: ${nix.mode === "multi-user" ? "multi-user (daemon)" : nix.mode}, ${nix.detail}`);
    }
    // nginx and uWSGI serve every app: without them nothing can be deployed.
    const required = results.filter((r) => (r.name === "nginx" || r.name === "uwsgi") && !r.ok);
    return { data: { checks: [node, ...results], nix }, text, exitCode: required.length > 0 ? 1 : 0 };
  },
});
