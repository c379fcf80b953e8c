import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LanguageToolchain, ToolchainBuildContext, ToolchainContribution } from "@hop3/core";
import { cacheOf, type AppCache } from "../cache.js";
import { localError } from "../errors.js";
import { applicationJars, DEBIAN_MAVEN_REPO } from "./java.js";
import { runFetchingStep } from "./network.js";
import { detectByFiles, isFile, requireTool } from "./shared.js";

const INSTALL_LEIN = "Install Leiningen: `hop3 setup --with clojure` (on Debian or Ubuntu `apt-get install leiningen clojure default-jdk-headless`).";
const INSTALL_JDK = "Install a JDK: `hop3 setup --with clojure` (on Debian or Ubuntu `apt-get install default-jdk-headless`).";
const INSTALL_CLOJURE_CLI =
  "Install the Clojure CLI (https://clojure.org/guides/install_clojure) in a directory every user may enter: Debian's `clojure` package is Clojure itself, without the CLI that reads deps.edn. Or add a project.clj and build with Leiningen (`hop3 setup --with clojure`).";
const OFFLINE_CLOJURE =
  "Leiningen and the Clojure CLI download Clojure, libraries and plugins from Maven Central and Clojars (repo.clojars.org). Let the server reach them (or a mirror, in project.clj :mirrors), or use only what Debian's packages put in /usr/share/maven-repo (the Local builder asks it first: Clojure itself is there, and many libraries as lib*-clojure packages, at the versions Debian ships).";

/**
 * Clojure: `lein uberjar` for a project.clj, `clojure -T:build uber` (tools.build's conventional
 * function) for a deps.edn, when the Clojure CLI is installed. Leiningen's home is Hop3's directory
 * `<app>/cache/clojure`, whose profiles.clj gives the app its own local repository (`repository`
 * there) and asks Debian's Maven repository before Maven Central and Clojars, so a project of
 * Debian-shipped dependencies builds offline. The default web worker runs the standalone jar.
 */
export function createClojureToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "clojure",
    description: "Clojure: lein uberjar (project.clj) or clojure -T:build uber (deps.edn), java -jar as the web worker",
    priority: 65,
    programs: [{ name: "java", install: INSTALL_JDK }],
    detect: (app) => detectByFiles(app, "clojure", ["project.clj", "deps.edn"]),
    build: buildClojure,
  };
}

async function buildClojure(context: ToolchainBuildContext): Promise<ToolchainContribution> {
  const { buildDir, app, logger } = context;
  const java = requireTool("java", context, "clojure", INSTALL_JDK);
  const cache = cacheOf(context, "clojure");
  // The workers may run Leiningen too (`web: lein run`): with the same home, profile and repository.
  const env: Record<string, string> = {};
  if (!context.env.LEIN_HOME) env.LEIN_HOME = leinHome(cache);
  const contribution = { env, path: [dirname(java)] };
  const lein = isFile(join(buildDir, "project.clj"));
  if (app.config.build.commands.length > 0) {
    logger.info(`hop3.toml [build] build is set: it replaces \`${lein ? "lein uberjar" : "clojure -T:build uber"}\`.`);
    return contribution;
  }
  if (lein) {
    const program = requireTool("lein", context, "clojure", INSTALL_LEIN);
    await runFetchingStep(context, "LOCAL_BUILD_FAILED", "lein uberjar", program, ["uberjar"], OFFLINE_CLOJURE, { env });
  } else if (isFile(join(buildDir, "deps.edn"))) {
    const program = requireTool("clojure", context, "clojure", INSTALL_CLOJURE_CLI);
    await requireClojureCli(context, program);
    await runFetchingStep(context, "LOCAL_BUILD_FAILED", "clojure -T:build uber", program, ["-T:build", "uber"], OFFLINE_CLOJURE);
  } else {
    return contribution; // named by hop3.toml, with nothing to build
  }
  return { ...contribution, workers: standaloneJarWorker(context) };
}

/**
 * Leiningen's home: Hop3's directory of the app's Clojure cache (the app reads it, cannot write it),
 * holding the profile that gives the app its own repository and Debian's, asked first.
 */
function leinHome(cache: AppCache): string {
  const repository = cache.entry("clojure", "repository");
  const debian = existsSync(DEBIAN_MAVEN_REPO)
    ? `\n        :repositories ^:prepend [["debian" {:url ${JSON.stringify(`file://${DEBIAN_MAVEN_REPO}`)} :checksum :ignore :snapshots false}]]`
    : "";
  const profile = `;; Written by Hop3: the app's own local repository${debian ? ", and Debian's Maven repository asked first" : ""}.\n{:user {:local-repo ${JSON.stringify(repository)}${debian}}}\n`;
  return dirname(cache.writeSetting("clojure", "profiles.clj", profile));
}

/** Debian's `clojure` is Clojure itself: only the Clojure CLI (tools.deps) builds a deps.edn. */
async function requireClojureCli(context: ToolchainBuildContext, program: string): Promise<void> {
  const answer = await context.run(program, ["-Sdescribe"], { allowFailure: true, keepLines: 5 });
  if (answer.exitCode === 0 && answer.stdout.includes(":version")) return;
  throw localError("LOCAL_TOOL_MISSING", `"${context.app.name}" has a deps.edn, which needs the Clojure CLI, and ${program} is not it (\`clojure -Sdescribe\` failed).`, {
    hint: INSTALL_CLOJURE_CLI,
    details: { app: context.app.name, toolchain: "clojure", program },
  });
}

/** `web: java -jar <jar>` for the one standalone jar the build left (Leiningen's :target-path may add a profile directory). */
function standaloneJarWorker(context: ToolchainBuildContext): Record<string, string> {
  for (const dir of [join("target", "uberjar"), "target"]) {
    const jars = applicationJars(join(context.buildDir, dir)).filter((name) => name.endsWith("-standalone.jar"));
    if (jars.length === 1) return { web: `java -jar ${dir}/${jars[0]}` };
  }
  context.logger.info("No single standalone jar in target/: no default web worker; declare it in the Procfile (`web: java -jar target/<jar>`).");
  return {};
}
