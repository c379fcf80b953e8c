import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** What the new package is called and what its builder looks for. */
export interface NewPluginOptions {
  /** npm package name, e.g. "hop3-plugin-hugo" or "@acme/hop3-hugo". */
  readonly name: string;
  /** The builder's name, as users write it in hop3.toml `[build] builder`, e.g. "hugo". */
  readonly builder: string;
  /** The file that marks an app this builder builds, e.g. "hugo.toml". */
  readonly marker: string;
  /** The @hop3/core range to peer-depend on. */
  readonly coreRange?: string;
  /**
   * A Hop3 checkout to develop against while @hop3/* is not on npm: @hop3/core and @hop3/testing
   * become `file:` dependencies on its packages (build them first: `pnpm build` in the checkout).
   */
  readonly hop3Checkout?: string;
}

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const BUILDER_NAME = /^[a-z][a-z0-9-]{0,40}$/;
const MARKER_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** Checks the options; throws an Error naming the bad one (this is a developer tool, not Hop3 itself). */
export function checkOptions(options: NewPluginOptions): void {
  if (!PACKAGE_NAME.test(options.name)) throw new Error(`"${options.name}" is not an npm package name`);
  if (!BUILDER_NAME.test(options.builder)) throw new Error(`builder "${options.builder}": use lowercase letters, digits and '-', starting with a letter`);
  if (!MARKER_NAME.test(options.marker)) throw new Error(`marker "${options.marker}": a plain file name, without '/'`);
}

/** @hop3/core and @hop3/testing from npm, or from the packages of a checkout. */
function hop3Dependencies(checkout: string | undefined): Record<string, string> {
  if (checkout === undefined) return { "@hop3/core": "^0.1.0", "@hop3/testing": "^0.1.0" };
  const dirs = { "@hop3/core": join(resolve(checkout), "packages/core"), "@hop3/testing": join(resolve(checkout), "packages/testing") };
  for (const [name, dir] of Object.entries(dirs)) {
    if (!existsSync(join(dir, "package.json"))) throw new Error(`--hop3-checkout ${checkout}: no ${name} in ${dir}`);
  }
  return Object.fromEntries(Object.entries(dirs).map(([name, dir]) => [name, `file:${dir}`]));
}

/** The files of the new package, path to content. */
export function pluginFiles(options: NewPluginOptions): Record<string, string> {
  checkOptions(options);
  const { name, builder, marker } = options;
  const prefix = builder.toUpperCase().replace(/-/g, "_");
  const camel = builder.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const Pascal = camel[0]!.toUpperCase() + camel.slice(1);
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    "package.json": json({
      name,
      version: "0.1.0",
      description: `Hop3 builder for apps that have a ${marker}`,
      license: "MIT",
      type: "module",
      sideEffects: false,
      keywords: ["hop3", "hop3-plugin"],
      engines: { node: ">=20.19" },
      exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" },
      files: ["dist"],
      scripts: { build: "tsc -p tsconfig.json", test: "vitest run", lint: "publint --strict" },
      peerDependencies: { "@hop3/core": options.coreRange ?? ">=0.1.0 <1.0.0" },
      devDependencies: { ...hop3Dependencies(options.hop3Checkout), "@types/node": "^20.19.0", publint: "^0.3.12", typescript: "~5.9.0", vitest: "^4.1.0" },
    }),
    "tsconfig.json": json({
      // experimentalDecorators: for @injectable() / @inject() on commands and services (docs/guides/writing-a-plugin.md).
      compilerOptions: { target: "ES2022", lib: ["ES2023"], module: "NodeNext", moduleResolution: "NodeNext", types: ["node"], strict: true, declaration: true, experimentalDecorators: true, rootDir: "src", outDir: "dist", skipLibCheck: true },
      include: ["src"],
    }),
    ".gitignore": "node_modules/\ndist/\n",
    "src/index.ts": `import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defineErrors, definePlugin, parseOptions, z, type BuildArtifact, type Builder, type Hop3Plugin } from "@hop3/core";

const PLUGIN = ${JSON.stringify(name)};
/** The file that marks an app this builder builds. */
const MARKER = ${JSON.stringify(marker)};

/** This package's codes: each needs a section in the README (what happened, why, what to do). */
export const { catalog: ${camel}ErrorCatalog, error: ${camel}Error } = defineErrors({
  ${prefix}_MARKER_MISSING: {
    title: "The ${builder} builder was chosen but the app has no ${marker}",
    hint: 'Add a ${marker} to the app, or remove \`builder = "${builder}"\` from hop3.toml [build].',
  },
  ${prefix}_PUBLIC_MISSING: {
    title: "The app has no public/ directory to serve",
    hint: "Create public/ with the files to serve (public/index.html first).",
  },
  ${prefix}_BUILD_CANCELLED: {
    title: "The ${builder} build was cancelled",
    hint: "Nothing to do: the build was cancelled on request; run it again when ready.",
  },
});

const OptionsSchema = z
  .object({
    /** Lower is asked first in auto mode: nix 10, docker 20, local 30. */
    priority: z.number().int().min(0).max(1000).default(25),
    /**
     * A program (and its arguments) run in the copy of the app before public/ is served, e.g.
     * ["hugo", "--minify"]. Set by the operator, never by the app. Default: none.
     */
    command: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export type ${Pascal}PluginOptions = z.input<typeof OptionsSchema>;

/** The builder. TODO: replace the copy of public/ with your real build (run programs with context.run). */
export function create${Pascal}Builder(options?: ${Pascal}PluginOptions): Builder {
  const settings = parseOptions(OptionsSchema, options, PLUGIN);
  return {
    apiVersion: 1,
    name: ${JSON.stringify(builder)},
    description: "Builds apps that have a ${marker}",
    priority: settings.priority,
    usesToolchains: false,

    // Looks only: it runs on every plan, for every app, even when another builder wins.
    accept: ({ app }) =>
      existsSync(join(app.dir, MARKER)) ? { accepted: true, reason: \`\${MARKER} found\` } : { accepted: false, reason: \`no \${MARKER}\` },

    async build(context): Promise<BuildArtifact> {
      const { app } = context;
      if (context.signal.aborted) throw ${camel}Error("${prefix}_BUILD_CANCELLED", \`The build of "\${app.name}" was cancelled.\`);
      // A user may name this builder for an app it declines: say precisely what is missing.
      if (!existsSync(join(app.dir, MARKER))) throw ${camel}Error("${prefix}_MARKER_MISSING", \`\${app.dir} has no \${MARKER}.\`, { details: { dir: app.dir } });
      if (!existsSync(join(app.dir, "public"))) throw ${camel}Error("${prefix}_PUBLIC_MISSING", \`\${app.dir} has no public/ directory.\`, { details: { dir: app.dir } });

      // Write only under appStateDir, one directory per release; never into the app's sources.
      const out = join(context.appStateDir, ${JSON.stringify(builder)}, context.releaseId);
      try {
        mkdirSync(out, { recursive: true });
        cpSync(app.dir, out, { recursive: true });
        if (settings.command) {
          // context.run streams the output to the log; an abort stops the program and all it started
          // (COMMAND_CANCELLED), so the catch below removes the half-made release.
          const [program, ...args] = settings.command;
          await context.run(program!, args, { cwd: out, purpose: \`the ${builder} build\` });
        }
        if (context.signal.aborted) throw ${camel}Error("${prefix}_BUILD_CANCELLED", \`The build of "\${app.name}" was cancelled.\`);
      } catch (error) {
        rmSync(out, { recursive: true, force: true }); // a failed build leaves nothing behind
        throw error;
      }
      return {
        apiVersion: 1,
        kind: "static",
        location: out,
        builder: ${JSON.stringify(builder)},
        appName: app.name,
        buildId: context.releaseId,
        builtAt: new Date().toISOString(),
        metadata: {},
        runtime: { workers: { static: join(out, "public") }, env: {}, path: [], workingDir: out },
      };
    },

    async discard(artifact) {
      rmSync(artifact.location, { recursive: true, force: true });
    },
  };
}

/** The plugin factory; run-time loading (the plugins of Hop3's config file, HOP3_PLUGINS) calls it with no options. */
export function ${camel}Plugin(options?: ${Pascal}PluginOptions): Hop3Plugin {
  const builder = create${Pascal}Builder(options);
  return definePlugin({
    name: PLUGIN,
    apiVersion: 1,
    version: "0.1.0",
    register(registry) {
      registry.addBuilder(builder);
    },
  });
}

export { ${camel}Plugin as hop3Plugin, ${camel}Plugin as default };
`,
    "test/conformance.test.ts": `import { join } from "node:path";
import { describeBuilderConformance } from "@hop3/testing";
import { create${Pascal}Builder } from "../src/index.js";

// The Hop3 plugin contract, checked on real directories.
const fixtures = join(import.meta.dirname, "fixtures");
// The command stands in for your real build program: it sleeps in the \`slow\` fixture only, so the
// kit can cancel a build half-way (without a slow fixture it reports that check as NOT CHECKED).
describeBuilderConformance(create${Pascal}Builder({ command: ["sh", "-c", "if [ -e slow-build ]; then sleep 60; fi"] }), {
  fixtures: {
    accepted: [join(fixtures, "site")],
    declined: [join(fixtures, "other")],
    failing: [{ dir: join(fixtures, "no-public"), code: "${prefix}_PUBLIC_MISSING" }],
    cancellable: join(fixtures, "slow"),
  },
  abortAfterMs: 500,
});
`,
    [`test/fixtures/site/${marker}`]: "",
    "test/fixtures/site/public/index.html": "<p>hello</p>\n",
    [`test/fixtures/slow/${marker}`]: "",
    "test/fixtures/slow/public/index.html": "<p>hello, slowly</p>\n",
    "test/fixtures/slow/slow-build": "The test's command sleeps for a minute when this file is here.\n",
    "test/fixtures/other/README.md": `No ${marker} here: the builder declines.\n`,
    [`test/fixtures/no-public/${marker}`]: "",
    "README.md": `# ${name}

A Hop3 plugin: the \`${builder}\` builder, for apps that have a \`${marker}\`. It builds them into a
static site served by Hop3's static deployer.

\`\`\`sh
npm install --prefix ~/.config/hop3 ${name}
echo '{ "plugins": ["${name}"] }' > ~/.config/hop3/config.json   # or HOP3_PLUGINS=${name}
hop3 plan ./myapp                      # builder: ${builder} (${marker} found)
\`\`\`

## Options

\`${camel}Plugin({ priority, command })\`: \`priority\` (default 25) orders the builder among the others in auto mode;
\`command\` (default none) is a program run in the copy of the app before \`public/\` is served, e.g. \`["hugo", "--minify"]\`.

## Errors

| code | when | what to do |
|---|---|---|
| \`${prefix}_MARKER_MISSING\` | the builder was named but the app has no \`${marker}\` | add it, or name another builder |
| \`${prefix}_PUBLIC_MISSING\` | the app has no \`public/\` | create it |
| \`${prefix}_BUILD_CANCELLED\` | the build was cancelled | run it again |

## Development

\`npm test\` runs the [@hop3/testing](https://www.npmjs.com/package/@hop3/testing) conformance kit;
\`npm run build && npm run lint\` builds and checks the manifest with publint. The contract:
https://github.com/abilian/hop3-builders/blob/main/docs/reference/plugin-contract.md
`,
  };
}

/** Writes the new package into `dir`, which must not exist or be empty. Returns the files written. */
export function createPluginPackage(dir: string, options: NewPluginOptions): string[] {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} exists and is not empty`);
  const files = pluginFiles(options);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return Object.keys(files);
}
