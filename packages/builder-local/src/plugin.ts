import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin, type LanguageToolchain, type SystemRequirement } from "@hop3/core";
import { createLocalBuilder } from "./builder.js";
import { PACKAGE_NAME, resolveLocalOptions, type BuiltinToolchain, type LocalBuilderOptions } from "./options.js";
import { createClojureToolchain, createGenericToolchain, createGoToolchain, createJavaToolchain, createNodeToolchain, createPhpToolchain, createPythonToolchain, createRubyToolchain, createRustToolchain, createStaticToolchain } from "./toolchains/index.js";

/** The built-in toolchains, by name, made with the builder's settings. */
export function builtinToolchains(options?: LocalBuilderOptions): LanguageToolchain[] {
  const settings = resolveLocalOptions(options);
  const make: Record<BuiltinToolchain, () => LanguageToolchain> = {
    python: () => createPythonToolchain({ reuse: settings.reuse }),
    node: () => createNodeToolchain({ reuse: settings.reuse }),
    go: createGoToolchain,
    ruby: createRubyToolchain,
    php: createPhpToolchain,
    rust: createRustToolchain,
    java: createJavaToolchain,
    clojure: createClojureToolchain,
    generic: createGenericToolchain,
    static: createStaticToolchain,
  };
  return settings.toolchains.map((name) => make[name]());
}

/**
 * The @hop3/builder-local plugin: registers the Local builder (priority 30, asked after Nix and
 * Docker) and its language toolchains. Options are validated at once.
 *
 * @example
 * const distribution = createDistribution({ plugins: [localBuilderPlugin({ timeoutSeconds: 600 })] });
 */
export function localBuilderPlugin(options?: LocalBuilderOptions): Hop3Plugin {
  const builder = createLocalBuilder(options);
  const toolchains = builtinToolchains(options);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Builds apps on the server with their language toolchains",
    requirements: toolchainRequirements(options),
    register(registry) {
      registry.addBuilder(builder);
      for (const toolchain of toolchains) registry.addToolchain(toolchain);
    },
  });
}

/**
 * What the enabled toolchains need on the server. Opt-in (`hop3 setup --with python`): a server that
 * deploys Nix apps needs none of them, and language runtimes are large.
 */
export function toolchainRequirements(options?: LocalBuilderOptions): SystemRequirement[] {
  const all: Partial<Record<BuiltinToolchain, SystemRequirement>> = {
    python: { id: "python", program: "python3", debianPackages: ["python3", "python3-venv"], enables: "Python apps built by the Local builder", level: "opt-in", manualInstall: "Install Python 3 with its venv module." },
    // Node.js is what runs hop3 itself; npm comes with it except on Debian, where it is its own package.
    node: { id: "node", program: "npm", enables: "Node apps built by the Local builder", level: "opt-in", manualInstall: "Install npm (it comes with Node.js from nodejs.org; on Debian: apt-get install npm)." },
    go: { id: "go", program: "go", debianPackages: ["golang-go"], enables: "Go apps built by the Local builder", level: "opt-in", manualInstall: "Install Go from https://go.dev/dl/." },
    ruby: { id: "ruby", program: "bundle", debianPackages: ["ruby", "ruby-bundler"], enables: "Ruby apps built by the Local builder", level: "opt-in", manualInstall: "Install Ruby and Bundler." },
    php: { id: "php", program: "php", debianPackages: ["php-cli", "composer"], enables: "PHP apps built by the Local builder", level: "opt-in", manualInstall: "Install the PHP command line (php-cli) and Composer from https://getcomposer.org." },
    rust: { id: "rust", program: "cargo", debianPackages: ["cargo", "rustc"], enables: "Rust apps built by the Local builder", level: "opt-in", manualInstall: "Install Rust (cargo and rustc) from https://rustup.rs, in a directory every user may enter." },
    // Maven needs a JDK (Debian's maven brings only a JRE); the plugins are Debian's, so a pom can build offline.
    java: {
      id: "java",
      program: "mvn",
      debianPackages: ["maven", "default-jdk-headless", "libmaven-compiler-plugin-java", "libmaven-jar-plugin-java", "libmaven-resources-plugin-java", "libsurefire-java"],
      enables: "Java apps built by the Local builder (Maven)",
      level: "opt-in",
      manualInstall: "Install Maven and a JDK (17 or later).",
    },
    clojure: { id: "clojure", program: "lein", debianPackages: ["leiningen", "clojure", "default-jdk-headless"], enables: "Clojure apps built by the Local builder (Leiningen)", level: "opt-in", manualInstall: "Install Leiningen (https://leiningen.org) and a JDK." },
  };
  return resolveLocalOptions(options).toolchains.flatMap((name) => all[name] ?? []);
}

/** Same as `localBuilderPlugin`, named like the other factories. */
export const createLocalPlugin = localBuilderPlugin;

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
