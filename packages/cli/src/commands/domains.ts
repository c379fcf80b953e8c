import type { Distribution } from "@hop3/core";
import { isValidHostName } from "@hop3/core";
import { requireAppRecord, writeAppRecord, type AppRecord } from "../apps/app-record.js";
import { deployContext } from "../apps/context.js";
import { lockApp } from "../apps/lock.js";
import { listReleases } from "../apps/releases.js";
import { defineCommand, type Command, type CommandInput } from "../command.js";
import { cliError } from "../errors.js";
import type { CliIO } from "../io.js";
import type { StepReporter } from "../reporter.js";
import { UsageError } from "../usage-error.js";

const USAGES = {
  list: "hop3 domains NAME [--json]",
  add: "hop3 domains add NAME HOST... [--json]",
  remove: "hop3 domains remove NAME HOST... [--json]",
} as const;

/** At most this many domains per app: each is a server_name nginx matches on every request. */
export const MAX_DOMAINS = 100;

/**
 * A domain as nginx will see it: lowercase RFC 1123 labels, not `localhost` nor under it (the
 * `<app>.localhost` names belong to Hop3's apps). Raises DOMAIN_INVALID naming the problem.
 */
export function checkDomain(app: string, host: string): string {
  const fail = (why: string) => cliError("DOMAIN_INVALID", `${JSON.stringify(host)} cannot be a domain of ${app}: ${why}.`, { details: { app, host } });
  if (host !== host.toLowerCase() && isValidHostName(host.toLowerCase())) throw fail(`write it in lowercase (${host.toLowerCase()})`);
  if (!isValidHostName(host)) throw fail("a host name is dot-separated labels of a-z, 0-9 and '-', each 1 to 63 characters, not starting or ending with '-', 253 characters in all");
  if (host === "localhost" || host.endsWith(".localhost")) throw fail("names under .localhost are the ones Hop3 gives its apps (<app>.localhost)");
  return host;
}

function appAndHosts(input: CommandInput, usage: string): [string, string[]] {
  const [name, ...hosts] = input.args.positionals;
  if (!name) throw new UsageError("the app name is missing", usage);
  if (hosts.length === 0) throw new UsageError("give at least one HOST", usage);
  return [name, hosts.map((host) => checkDomain(name, host))];
}

export const domainsListCommand = defineCommand({
  name: ["domains"],
  summary: "List the host names an app answers to besides <app>.localhost",
  usage: USAGES.list,
  maxPositionals: 1,
  async run(input) {
    const distribution = await input.distribution();
    const name = input.args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const record = requireAppRecord(distribution.home, name);
    return { data: { app: name, domains: record.domains }, text: record.domains.length === 0 ? `${name} has no domain besides ${name}.localhost.` : [...record.domains] };
  },
});

function changeCommand(verb: "add" | "remove", summary: string): Command {
  return defineCommand({
    name: ["domains", verb],
    summary,
    usage: USAGES[verb],
    maxPositionals: 1 + MAX_DOMAINS,
    async run(input) {
      const distribution = await input.distribution();
      const [name, hosts] = appAndHosts(input, USAGES[verb]);
      const unlock = lockApp(distribution.home, name, `domains ${verb}`);
      try {
        const record = requireAppRecord(distribution.home, name);
        const domains = verb === "add" ? [...new Set([...record.domains, ...hosts])] : record.domains.filter((host) => !hosts.includes(host));
        if (domains.length > MAX_DOMAINS) throw cliError("DOMAIN_INVALID", `${name} would have ${domains.length} domains; at most ${MAX_DOMAINS} are allowed.`, { details: { app: name } });
        const next = { ...record, domains };
        // Routed first, recorded after: a host nginx refuses, or one another app has, changes nothing.
        const routed = await reroute(distribution, input.io, input.reporter, next);
        writeAppRecord(distribution.home, next);
        const when = routed ? "routed now" : `applied when it next starts (\`hop3 start ${name}\`)`;
        return { data: { app: name, domains, routed }, text: `${name}: ${domains.length === 0 ? "no domain" : `domains ${domains.join(", ")}`}; ${when}.` };
      } finally {
        unlock();
      }
    },
  });
}

/**
 * Applies the record's domains to the app's live route, when it has one that runs: its deployer's
 * `start` of a running app starts nothing new and routes it again. Returns whether it was routed.
 */
async function reroute(distribution: Distribution, io: CliIO, reporter: StepReporter, record: AppRecord): Promise<boolean> {
  const live = listReleases(distribution.home, record.name).find((r) => r.id === record.liveRelease);
  if (!live) return false;
  const deployer = distribution.deployerFor(live.artifact);
  const status = await deployer.status(record.name, deployContext(distribution, record, io));
  if (status.state !== "running" && status.state !== "partial") return false;
  await reporter.step(`route ${record.name}`, (logger) => deployer.start(record.name, deployContext(distribution, record, io, logger)));
  return true;
}

export const domainsCommands: readonly Command[] = [
  domainsListCommand,
  changeCommand("add", "Make an app answer to more host names (routed at once when it runs)"),
  changeCommand("remove", "Stop an app answering to host names"),
];
