import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createCli, defineCommand, EXIT, memoryIO } from "@hop3/cli-kit";
import { createDistribution } from "@hop3/core";
import { staticDeployerPlugin } from "@hop3/deployer-static";
import { nginxRouterPlugin } from "@hop3/router-nginx";
// A third-party builder, written against @hop3/core only, as its author publishes it.
import { markdownPlugin } from "../../../test-fixtures/plugins/hop3-plugin-markdown/src/index.js";

const ROOT = resolve(import.meta.dirname, "../../..");

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** Every package of this repository (what pnpm-workspace.yaml lists), by name. */
const workspace = new Map<string, Manifest>(
  ["packages", "apps", "tools", "test-fixtures/plugins"].flatMap((folder) =>
    readdirSync(join(ROOT, folder))
      .filter((name) => existsSync(join(ROOT, folder, name, "package.json")))
      .map((name) => JSON.parse(readFileSync(join(ROOT, folder, name, "package.json"), "utf8")) as Manifest)
      .map((manifest) => [manifest.name, manifest] as const),
  ),
);

/**
 * What installing `manifest` installs: its dependencies and peer dependencies, and theirs, as npm
 * resolves them (devDependencies are never installed for a user). Packages from the registry are
 * listed, not followed: none of them is a Hop3 package.
 */
function installedWith(manifest: Pick<Manifest, "dependencies" | "peerDependencies">): string[] {
  const seen = new Set<string>();
  const visit = (m: Pick<Manifest, "dependencies" | "peerDependencies">) => {
    for (const name of Object.keys({ ...m.dependencies, ...m.peerDependencies })) {
      if (seen.has(name)) continue;
      seen.add(name);
      const local = workspace.get(name);
      if (local) visit(local);
    }
  };
  visit(manifest);
  return [...seen].sort();
}

/** A distribution for static sites: core, the shell, the static deployer, nginx, and a Markdown builder. */
const staticSite = {
  dependencies: { "@hop3/core": "^0.1.0", "@hop3/cli-kit": "^0.1.0", "@hop3/deployer-static": "^0.1.0", "@hop3/router-nginx": "^0.1.0", "hop3-plugin-markdown": "^0.1.0" },
};

const HEAVY = ["@hop3/builder-nix", "@hop3/builder-docker", "@hop3/builder-local", "@hop3/deployer-uwsgi", "@hop3/cli"];

describe("a distribution without @hop3/cli", () => {
  it("installs none of the builders and deployers it does not use", () => {
    const installed = installedWith(staticSite);
    console.log(`core + cli-kit + deployer-static + router-nginx + hop3-plugin-markdown installs:\n  ${installed.join("\n  ")}`);
    expect(installed).toEqual(expect.arrayContaining(Object.keys(staticSite.dependencies)));
    for (const name of HEAVY) expect(installed).not.toContain(name);
    // The same reading of @hop3/cli, the default distribution, finds every one of them.
    expect(installedWith(workspace.get("@hop3/cli")!)).toEqual(expect.arrayContaining(HEAVY.filter((name) => name !== "@hop3/cli")));
  });

  it("is a program: the shell of @hop3/cli-kit over its plugins, with a command of its own on the contract", async () => {
    const home = mkdtempSync(join(tmpdir(), "hop3-static-site-"));
    const env = { ...process.env, HOP3_HOME: home };
    const plan = defineCommand({
      name: ["plan"],
      summary: "Say which builder would build an app",
      positionals: [{ name: "DIR" }],
      async run({ args, io, distribution }) {
        const chosen = await (await distribution()).plan(resolve(io.cwd, args.positionals[0]!));
        return { data: { app: chosen.app.name, builder: chosen.builder.name }, text: `${chosen.app.name}: ${chosen.builder.name}` };
      },
    });
    const cli = createCli(createDistribution({ plugins: [markdownPlugin(), staticDeployerPlugin(), nginxRouterPlugin({}, env)], env }), {
      name: "hop3-site",
      version: "0.0.1",
      commands: [plan],
      pluginsFrom: false,
    });
    const io = memoryIO(join(ROOT, "test-fixtures/plugin-apps"), env);
    expect(await cli.run(["plan", "markdown-handbook", "--json"], io), io.err()).toBe(EXIT.ok);
    expect(JSON.parse(io.out())).toEqual({ app: "markdown-handbook", builder: "markdown" });
  });
});
