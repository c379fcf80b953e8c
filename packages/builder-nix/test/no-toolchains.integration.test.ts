import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createDistribution, definePlugin, type Builder, type LanguageToolchain } from "@hop3/core";
import { nixPlugin } from "@hop3/builder-nix";
import { FIXTURES, tempDir } from "./helpers.js";

// The Nix builder never delegates to language toolchains, even when the app also looks like a
// Node and a Python app: a toolchain that throws when touched is never touched.
it("builds nix-polyglot (package.json, requirements.txt, hop3.nix) without consulting any toolchain", async () => {
  const calls: string[] = [];
  const trap: LanguageToolchain = {
    apiVersion: 1,
    name: "trap",
    detect(app) {
      calls.push(`detect ${app.name}`);
      throw new Error("the Nix builder consulted a language toolchain");
    },
    async build() {
      calls.push("build");
      throw new Error("the Nix builder ran a language toolchain");
    },
  };
  // A builder that would take the app through toolchains, asked after Nix (it only looks at files).
  const local: Builder = {
    apiVersion: 1,
    name: "local",
    priority: 30,
    usesToolchains: true,
    accept: ({ app }) => ({ accepted: existsSync(join(app.dir, "package.json")), reason: "package.json found" }),
    build: async () => {
      calls.push("local build");
      throw new Error("the local builder was used");
    },
  };
  const toolchainPlugin = definePlugin({
    name: "test/toolchains",
    apiVersion: 1,
    register(registry) {
      registry.addToolchain(trap);
      registry.addBuilder(local);
    },
  });
  const distribution = createDistribution({ plugins: [toolchainPlugin, nixPlugin()], env: { ...process.env, HOP3_HOME: tempDir("hop3-home-") } });

  const plan = await distribution.plan(join(FIXTURES, "apps", "nix-polyglot"));
  expect(plan.candidates).toEqual([
    { name: "nix", accepted: true, reason: "hop3.nix found" },
    { name: "local", accepted: true, reason: "package.json found" },
  ]);
  expect(plan.builder.name).toBe("nix");
  expect(plan.toolchains).toEqual([]);
  expect(distribution.registry.builders().find((b) => b.name === "nix")?.usesToolchains).toBe(false);

  const artifact = await distribution.build(plan);
  expect(artifact).toMatchObject({ builder: "nix", kind: "nix", appName: "nix-polyglot" });
  expect(calls).toEqual([]);
});
