import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { postgresErrorCatalog } from "@hop3/addon-postgres";
import { dockerErrorCatalog } from "@hop3/builder-docker";
import { localErrorCatalog } from "@hop3/builder-local";
import { nixErrorCatalog } from "@hop3/builder-nix";
import { coreErrorCatalog, type ErrorCatalog } from "@hop3/core";
import { staticErrorCatalog } from "@hop3/deployer-static";
import { swarmErrorCatalog } from "@hop3/deployer-swarm";
import { uwsgiErrorCatalog } from "@hop3/deployer-uwsgi";
import { nginxErrorCatalog } from "@hop3/router-nginx";
import { tlsErrorCatalog } from "@hop3/tls";
import { redisErrorCatalog } from "@hop3/addon-redis";
import { cliErrorCatalog } from "@hop3/cli";
import { cliKitErrorCatalog } from "@hop3/cli-kit";
import { sshAccessErrorCatalog } from "@hop3/ssh-access";
import { remoteErrorCatalog } from "@hop3/remote";

const root = resolve(import.meta.dirname, "../../..");
const index = readFileSync(join(root, "docs/errors/README.md"), "utf8");

// Every code the default distribution can print has its page, and the page says what the code says.
const catalogs: ReadonlyArray<[string, ErrorCatalog, string | undefined]> = [
  ["@hop3/core", coreErrorCatalog, undefined],
  ["@hop3/cli", cliErrorCatalog, undefined],
  ["@hop3/cli-kit", cliKitErrorCatalog, "packages/cli-kit/README.md"],
  ["@hop3/remote", remoteErrorCatalog, "packages/remote/README.md"],
  ["@hop3/builder-nix", nixErrorCatalog, "packages/builder-nix/README.md"],
  ["@hop3/builder-local", localErrorCatalog, "packages/builder-local/README.md"],
  ["@hop3/builder-docker", dockerErrorCatalog, "packages/builder-docker/README.md"],
  ["@hop3/deployer-uwsgi", uwsgiErrorCatalog, "packages/deployer-uwsgi/README.md"],
  ["@hop3/deployer-static", staticErrorCatalog, "packages/deployer-static/README.md"],
  ["@hop3/deployer-swarm", swarmErrorCatalog, "packages/deployer-swarm/README.md"],
  ["@hop3/router-nginx", nginxErrorCatalog, "packages/router-nginx/README.md"],
  ["@hop3/ssh-access", sshAccessErrorCatalog, "packages/ssh-access/README.md"],
  ["@hop3/tls", tlsErrorCatalog, "packages/tls/README.md"],
  ["@hop3/addon-postgres", postgresErrorCatalog, "packages/addon-postgres/README.md"],
  ["@hop3/addon-redis", redisErrorCatalog, "packages/addon-redis/README.md"],
];

describe.each(catalogs)("error codes of %s", (_name, catalog, readme) => {
  it.each(Object.keys(catalog))("%s has its page, in the index and the package README", (code) => {
    const page = join(root, "docs/errors", `${code}.md`);
    expect(existsSync(page), `docs/errors/${code}.md`).toBe(true);
    const text = readFileSync(page, "utf8");
    const lines = text.split("\n");
    expect(lines[0]).toBe(`# ${code}`);
    expect(lines[2]).toBe(catalog[code]!.title);
    for (const section of ["## What happened", "## Why", "## What to do", "## Example"]) expect(text, section).toContain(`\n${section}\n`);
    expect(text.replace(/\s+/g, " ")).toContain(catalog[code]!.hint);
    expect(text).toContain(`error[${code}]: `);
    expect(index).toContain(`(${code}.md)`);
    if (readme) expect(readFileSync(join(root, readme), "utf8")).toContain(`(../../docs/errors/${code}.md)`);
  });
});
