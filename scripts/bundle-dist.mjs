// Run by every package's build, after tsc, in the package's directory: bundles each entry of
// package.json (exports, bin) into one module, with the code entries share split into chunks beside
// them, and removes the per-file modules tsc wrote. Node 20 loads an ES module graph file by file:
// `hop3` is some 300 modules of ours, loaded one by one they cost every command about 0.1 s.
//
// Other packages stay external, so a package still shares one copy of @hop3/core with every plugin.
// The exception is a library a package vendors: what its src/vendor/ modules import is bundled in
// (core's zod, TypeBox, tsyringe, smol-toml, tar-stream and execa; about 550 files, 0.2 s more).
// Type declarations (.d.ts) are tsc's, untouched.
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { build } from "esbuild";

const dist = resolve("dist");
const manifest = JSON.parse(readFileSync("package.json", "utf8"));

/** The dist/*.js files package.json points to: every "default" of exports, and the bins. */
function entryFiles() {
  const found = new Set();
  const visit = (value) => {
    if (typeof value === "string") {
      if (value.startsWith("./dist/") && value.endsWith(".js")) found.add(resolve(value));
    } else if (value && typeof value === "object") {
      for (const [condition, target] of Object.entries(value)) if (condition !== "types" && !condition.startsWith("@hop3/")) visit(target);
    }
  };
  visit(manifest.exports);
  visit(typeof manifest.bin === "string" ? { bin: manifest.bin } : manifest.bin);
  return [...found];
}

const vendor = `${dist}${sep}vendor${sep}`;
const bundledIn = (importer) => importer.startsWith(vendor) || importer.includes(`${sep}node_modules${sep}`);

const result = await build({
  entryPoints: entryFiles(),
  outdir: dist,
  outbase: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  metafile: true,
  // Code stays at dist/'s top level, where `../package.json` is the package's, as it is from src/.
  chunkNames: "[name]-[hash]",
  // Bundled CommonJS (tar-stream, tsyringe) calls require() for node's own modules.
  banner: { js: 'import { createRequire as __hop3CreateRequire } from "node:module";\nconst require = __hop3CreateRequire(import.meta.url);' },
  legalComments: "inline",
  logLevel: "warning",
  plugins: [
    {
      name: "other-packages-external",
      setup(builder) {
        builder.onResolve({ filter: /^[^./]/ }, (args) => (bundledIn(args.importer) ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});

// What tsc wrote and the bundles now hold.
const written = new Set(Object.keys(result.metafile.outputs).map((file) => resolve(file)));
for (const file of readdirSync(dist, { recursive: true, encoding: "utf8" })) {
  const path = join(dist, file);
  if ((file.endsWith(".js") || file.endsWith(".js.map")) && !written.has(path)) rmSync(path);
}
