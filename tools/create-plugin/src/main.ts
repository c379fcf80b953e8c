#!/usr/bin/env -S node --import tsx
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createPluginPackage } from "./index.js";

const USAGE = `usage: pnpm new-plugin DIR [--name hop3-plugin-x] [--builder x] [--marker x.toml] [--hop3-checkout PATH]

Creates a third-party Hop3 plugin package in DIR (which must not exist or be empty): a builder,
its error codes and options, a README and a test that runs the @hop3/testing conformance kit.

  --name NAME            npm package name (default: DIR's name)
  --builder NAME         the builder's name, as hop3.toml [build] builder writes it (default: from --name)
  --marker FILE          the file that marks an app it builds (default: <builder>.toml)
  --hop3-checkout PATH   take @hop3/core and @hop3/testing from this Hop3 checkout (file: dependencies)
                         instead of npm; run \`pnpm build\` in the checkout first
  -h, --help             this text`;

try {
  const { values, positionals } = parseArgs({
    options: { name: { type: "string" }, builder: { type: "string" }, marker: { type: "string" }, "hop3-checkout": { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    if (positionals.length !== 1) throw new Error(USAGE);
    const cwd = process.env.INIT_CWD ?? process.cwd();
    const dir = resolve(cwd, positionals[0]!);
    const name = values.name ?? basename(dir);
    const builder = values.builder ?? name.replace(/^@[^/]+\//, "").replace(/^hop3-(plugin-)?/, "");
    const checkout = values["hop3-checkout"] === undefined ? undefined : resolve(cwd, values["hop3-checkout"]);
    const files = createPluginPackage(dir, { name, builder, marker: values.marker ?? `${builder}.toml`, ...(checkout !== undefined && { hop3Checkout: checkout }) });
    const next = checkout === undefined
      ? `next: cd ${dir} && npm install && npm test\n(while @hop3/* is not published on npm, add --hop3-checkout PATH_TO_HOP3: see docs/guides/writing-a-plugin.md)`
      : `next: (cd ${checkout} && pnpm build) && cd ${dir} && npm install && npm test`;
    process.stdout.write(`created ${name} in ${dir}:\n${files.map((f) => `  ${f}`).join("\n")}\n${next}\n`);
  }
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
