import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeBuilderConformance } from "@hop3/testing";
import { deafBuilder, goodBuilder, sideEffectBuilder, sloppyBuilder, uncodedBuilder } from "./builders.js";

// Run by ../kit.test.ts in a separate vitest: each describe must pass or fail as its builder deserves.
const KIT = process.env.HOP3_KIT_BUILDER ?? "good";
const root = mkdtempSync(join(tmpdir(), "hop3-kit-"));
const app = (name: string, files: Record<string, string>) => {
  mkdirSync(join(root, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(root, name, file), content);
  return join(root, name);
};
const fixtures = { accepted: [app("site-app", { "site.txt": "hello" })], declined: [app("other-app", { "README": "no site" })] };
const builders = { good: goodBuilder, "side-effect": sideEffectBuilder, deaf: deafBuilder, uncoded: uncodedBuilder, sloppy: sloppyBuilder };
describeBuilderConformance(builders[KIT as keyof typeof builders](), { fixtures });
