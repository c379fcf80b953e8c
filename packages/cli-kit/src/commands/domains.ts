import { checkDomain, defineCliCommand, MAX_DOMAINS, UsageError, type CliCommand, type CliCommandInput } from "@hop3/core/cli";

const USAGES = {
  list: "hop3 domains NAME [--json]",
  add: "hop3 domains add NAME HOST... [--json]",
  remove: "hop3 domains remove NAME HOST... [--json]",
} as const;

function appAndHosts(input: CliCommandInput, usage: string): [string, string[]] {
  const [name, ...hosts] = input.args.positionals;
  if (!name) throw new UsageError("the app name is missing", usage);
  if (hosts.length === 0) throw new UsageError("give at least one HOST", usage);
  return [name, hosts.map((host) => checkDomain(name, host))];
}

export const domainsListCommand = defineCliCommand({
  name: ["domains"],
  summary: "List the host names an app answers to besides <app>.localhost",
  usage: USAGES.list,
  maxPositionals: 1,
  async run(input) {
    const distribution = await input.distribution();
    const name = input.args.positionals[0];
    if (!name) throw new UsageError("the app name is missing", this.usage);
    const domains = distribution.domains(name);
    return { data: { app: name, domains }, text: domains.length === 0 ? `${name} has no domain besides ${name}.localhost.` : [...domains] };
  },
});

function changeCommand(verb: "add" | "remove", summary: string): CliCommand {
  return defineCliCommand({
    name: ["domains", verb],
    summary,
    usage: USAGES[verb],
    maxPositionals: 1 + MAX_DOMAINS,
    async run(input) {
      const distribution = await input.distribution();
      const [name, hosts] = appAndHosts(input, USAGES[verb]);
      const options = { onStep: input.onStep, signal: input.io.signal };
      const { domains, routed } = verb === "add" ? await distribution.addDomains(name, hosts, options) : await distribution.removeDomains(name, hosts, options);
      const when = routed ? "routed now" : `applied when it next starts (\`hop3 start ${name}\`)`;
      return { data: { app: name, domains, routed }, text: `${name}: ${domains.length === 0 ? "no domain" : `domains ${domains.join(", ")}`}; ${when}.` };
    },
  });
}

export const domainsCommands: readonly CliCommand[] = [
  domainsListCommand,
  changeCommand("add", "Make an app answer to more host names (routed at once when it runs)"),
  changeCommand("remove", "Stop an app answering to host names"),
];
