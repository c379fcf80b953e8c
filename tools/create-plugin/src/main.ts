#!/usr/bin/env -S node --import tsx
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createPluginPackage } from "./index.js";

// pnpm new-plugin DIR [--name NPM_NAME] [--builder NAME] [--marker FILE]
const USAGE = "usage: pnpm new-plugin DIR [--name hop3-plugin-x] [--builder x] [--marker x.toml]";
try {
  const { values, positionals } = parseArgs({ options: { name: { type: "string" }, builder: { type: "string" }, marker: { type: "string" } }, allowPositionals: true });
  if (positionals.length !== 1) throw new Error(USAGE);
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0]!);
  const name = values.name ?? basename(dir);
  const builder = values.builder ?? name.replace(/^@[^/]+\//, "").replace(/^hop3-(plugin-)?/, "");
  const files = createPluginPackage(dir, { name, builder, marker: values.marker ?? `${builder}.toml` });
  process.stdout.write(`created ${name} in ${dir}:\n${files.map((f) => `  ${f}`).join("\n")}\nnext: cd ${dir} && npm install && npm test\n`);
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
