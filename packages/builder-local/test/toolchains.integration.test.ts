import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger } from "@hop3/core";
import { localBuilderPlugin, type LocalBuilderOptions } from "../src/index.js";
import { caught, FIXTURES, removeTempHomes, tempHome } from "./helpers.js";

// The PHP, Rust, Java and Clojure toolchains with their real programs: what a build leaves, where the
// caches are, what a missing program or an unreachable registry says. test/fixtures.integration.test.ts
// deploys their fixtures through uWSGI and nginx.
const home = tempHome("h3tc-");
const apps = mkdtempSync(join(home, "src-"));
const env = { ...process.env, HOP3_HOME: home };
const distributionWith = (options: LocalBuilderOptions = {}) => createDistribution({ plugins: [localBuilderPlugin(options)], env });
const distribution = distributionWith();
afterAll(removeTempHomes);

function app(name: string, files: Record<string, string>): string {
  const dir = join(apps, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

async function build(dir: string, d = distribution) {
  const logger = createMemoryLogger();
  const artifact = await d.build(await d.plan(dir), { logger });
  return { artifact, log: logger.entries.map((entry) => entry.text).join("\n") };
}

/** The error of building `dir` on a server whose build PATH is `/usr/sbin`: none of the toolchains' programs. */
const withoutPrograms = (dir: string) => caught(() => build(dir, distributionWith({ env: { PATH: "/usr/sbin" } })));

describe("the php toolchain", () => {
  it("installs with composer into the release, with Composer's home in the app's cache, and serves with php -S", async () => {
    const { artifact } = await build(join(FIXTURES, "php-composer"));
    expect(artifact.kind).toBe("php");
    expect(existsSync(join(artifact.location, "vendor", "autoload.php"))).toBe(true);
    expect(artifact.runtime.workers).toEqual({ web: 'php -S "$BIND_ADDRESS:$PORT" -t public' });
    expect(artifact.runtime.path).toEqual([join(artifact.location, "vendor", "bin"), "/usr/bin"]);
    expect(existsSync(join(home, "apps", "php-composer", "cache", "php", "composer"))).toBe(true);
  });

  it("runs composer's scripts as the app's user, never as root", async () => {
    const script = ["id -u > uid.txt", "cat /etc/shadow > shadow.txt || true"];
    // Without a composer.lock, `composer install` resolves first and runs the post-update scripts.
    const composer = JSON.stringify({ require: {}, scripts: { "post-install-cmd": script, "post-update-cmd": script } });
    const { artifact } = await build(app("phpscripts", { "composer.json": composer, "index.php": "<?php echo 1;" }));
    const uid = Number(readFileSync(join(artifact.location, "uid.txt"), "utf8").trim());
    expect(uid).not.toBe(0);
    expect(uid).toBe(statSync(artifact.location).uid);
    expect(readFileSync(join(artifact.location, "shadow.txt"), "utf8")).toBe("");
  });

  it("serves the root of an app without public/ or web/, and needs no composer without a composer.json", async () => {
    const { artifact } = await build(join(FIXTURES, "php-plain"), distributionWith({ env: { PATH: "/usr/bin:/bin" } }));
    expect(artifact.runtime.workers).toEqual({ web: 'php -S "$BIND_ADDRESS:$PORT" -t .' });
    expect(existsSync(join(artifact.location, "vendor"))).toBe(false);
  });

  it("names the Debian packages and hop3 setup --with php when php is missing", async () => {
    const error = await withoutPrograms(join(FIXTURES, "php-plain"));
    expect(error.code).toBe("LOCAL_TOOL_MISSING");
    expect(error.message).toContain("php was not found on PATH");
    expect(error.hint).toContain("hop3 setup --with php");
    expect(error.hint).toContain("apt-get install php-cli composer");
  });

  it("says the app needs the network when Packagist (here: a registry that never resolves) cannot be reached", async () => {
    const error = await caught(() => build(join(FIXTURES, "php-needs-network")));
    expect(error.code).toBe("LOCAL_DEPENDENCIES_NEED_NETWORK");
    expect(error.message).toContain('"php-needs-network" needs the network to fetch its dependencies: composer install could not reach the registry');
    expect(error.message).toContain("packages.invalid");
    expect(error.hint).toContain("Packagist");
  });
});
