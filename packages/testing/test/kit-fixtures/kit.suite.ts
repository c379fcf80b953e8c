import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeBuilderConformance } from "@hop3/testing";
import { deafBuilder, goodBuilder, lingeringBuilder, sideEffectBuilder, sloppyBuilder, uncodedBuilder } from "./builders.js";

// Run by ../kit.test.ts in a separate vitest: each describe must pass or fail as its builder deserves.
const KIT = process.env.HOP3_KIT_BUILDER ?? "good";
const root = mkdtempSync(join(tmpdir(), "hop3-kit-"));
const app = (name: string, files: Record<string, string>) => {
  mkdirSync(join(root, name));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(root, name, file), content);
  return join(root, name);
};
const accepted = app("site-app", { "site.txt": "hello" });
const fixtures = { accepted: [accepted], declined: [app("other-app", { "README": "no site" })] };
const slow = app("slow-app", { "site.txt": "slow" });
// "<builder>" runs the kit without a cancellable fixture; "<builder>+slow" with the slow app, "<builder>+fast" with a fast one.
const [name, cancellable] = KIT.split("+");
const builders = { good: goodBuilder, "side-effect": sideEffectBuilder, deaf: deafBuilder, uncoded: uncodedBuilder, sloppy: sloppyBuilder, lingering: lingeringBuilder };
describeBuilderConformance(builders[name as keyof typeof builders](), {
  fixtures: { ...fixtures, ...(cancellable && { cancellable: cancellable === "slow" ? slow : accepted }) },
  stopWithinMs: 1_500,
});
