import { readFileSync, readdirSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PUBLISHED_SCHEMAS, renderSchema } from "@hop3/core";

const root = resolve(import.meta.dirname, "..", "..", "..");

describe("docs/schemas", () => {
  it.each(Object.keys(PUBLISHED_SCHEMAS))("%s is the one the validators use (run `pnpm schemas` after a change)", (file) => {
    const published = readFileSync(join(root, "docs", "schemas", file), "utf8");
    expect(published).toBe(renderSchema(PUBLISHED_SCHEMAS[file]!));
  });
});

describe("plugin packages", () => {
  const packages = readdirSync(join(root, "packages")).map((name) => ({ name, manifest: JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8")) }));
  const plugins = packages.filter(({ manifest }) => manifest.keywords?.includes("hop3-plugin"));

  it("are the builders, deployers, routers and addons of this repository", () => {
    expect(plugins.map(({ manifest }) => manifest.name).sort()).toEqual(["@hop3/addon-postgres", "@hop3/addon-redis", "@hop3/builder-docker", "@hop3/builder-local", "@hop3/builder-nix", "@hop3/deployer-static", "@hop3/deployer-swarm", "@hop3/deployer-uwsgi", "@hop3/router-nginx", "@hop3/tls"]);
  });

  it.each(plugins.map((p) => [p.manifest.name, p] as const))("%s depends on core only, as a peer", (_name, { manifest }) => {
    // Every 0.x core: the plugin's apiVersion, checked at load time, is the real compatibility gate,
    // and a minor of core does not force a major of every plugin (see .changeset/config.json).
    expect(manifest.peerDependencies).toEqual({ "@hop3/core": ">=0.1.0 <1.0.0" });
    expect(manifest.devDependencies["@hop3/core"]).toBe("workspace:^");
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith("@hop3/"))).toEqual([]);
  });

  it.each(plugins.map((p) => [p.manifest.name, p] as const))("%s imports no other plugin, and tsyringe and zod only through core", (_name, { name }) => {
    const src = join(root, "packages", name, "src");
    const offenders = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .filter((file) => /from "(@hop3\/(?!core")[^"]+|tsyringe|zod)"/.test(readFileSync(join(src, file), "utf8")));
    expect(offenders).toEqual([]);
  });
});

describe("@hop3/core stands alone", () => {
  it("depends on no plugin package", () => {
    const manifest = JSON.parse(readFileSync(join(root, "packages", "core", "package.json"), "utf8"));
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies });
    expect(deps.filter((name) => name.startsWith("@hop3/"))).toEqual([]);
  });

  it("imports no @hop3 package from its sources", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/from "@hop3\//.test(readFileSync(path, "utf8"))) offenders.push(path);
      }
    };
    walk(join(root, "packages", "core", "src"));
    expect(offenders).toEqual([]);
  });

  it("loads its libraries through src/vendor/ only, which the build bundles one module each", () => {
    const manifest = JSON.parse(readFileSync(join(root, "packages", "core", "package.json"), "utf8"));
    const libraries = Object.keys(manifest.dependencies);
    const src = join(root, "packages", "core", "src");
    const offenders = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts") && !file.startsWith("vendor/"))
      .filter((file) => {
        const text = readFileSync(join(src, file), "utf8");
        return libraries.some((library) => text.includes(`"${library}"`) || text.includes(`"${library}/`));
      });
    expect(offenders).toEqual([]);
  });

  it("is built into a few modules that import only node's own and one another (scripts/bundle-dist.mjs)", () => {
    const dist = join(root, "packages", "core", "dist");
    const modules = readdirSync(dist).filter((file) => file.endsWith(".js"));
    expect(modules).toContain("index.js");
    expect(modules.length).toBeLessThan(10);
    for (const file of modules) {
      const specifiers = [...readFileSync(join(dist, file), "utf8").matchAll(/(?:^|[\s;])(?:import|export)\b[^"';]*?from\s*"([^"]+)"|\bimport\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2]!);
      expect({ file, imports: specifiers.filter((s) => !isBuiltin(s) && !s.startsWith("./")) }).toEqual({ file, imports: [] });
    }
  });
});

describe("the program shell, server setup, deploy keys and remotes", () => {
  it.each(["cli-kit", "server-setup", "ssh-access", "remote"])("@hop3/%s depends on core only", (name) => {
    const manifest = JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8"));
    const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies });
    expect(deps.filter((dep) => dep.startsWith("@hop3/"))).toEqual(["@hop3/core"]);
  });
});
