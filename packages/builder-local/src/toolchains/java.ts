import { existsSync, lstatSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AppSource, Detection, LanguageToolchain, ToolchainBuildContext, ToolchainContribution } from "@hop3/core";
import { cacheOf, type AppCache } from "../cache.js";
import { runFetchingStep } from "./network.js";
import { detectByFiles, isFile, requireTool } from "./shared.js";

const INSTALL_MAVEN = "Install Maven and a JDK: `hop3 setup --with java` (on Debian or Ubuntu `apt-get install maven default-jdk-headless`).";
const INSTALL_JDK = "Install a JDK: `hop3 setup --with java` (on Debian or Ubuntu `apt-get install default-jdk-headless`).";
const INSTALL_GRADLE =
  "Install Gradle: on Debian or Ubuntu `apt-get install gradle` (Debian's is Gradle 4.4: a current build needs one from https://gradle.org/install), in a directory every user may enter.";
const OFFLINE_MAVEN =
  "Maven downloads plugins and dependencies from Maven Central (repo.maven.apache.org). Let the server reach it (or a mirror, in /etc/maven/settings.xml), or use only what Debian's packages put in /usr/share/maven-repo (the Local builder looks there first): the plugin versions Maven uses by default are there once libmaven-compiler-plugin-java, libmaven-jar-plugin-java, libmaven-resources-plugin-java and libsurefire-java are installed.";
const OFFLINE_GRADLE = "Gradle downloads plugins and dependencies from their repositories (Maven Central, the Gradle plugin portal). Let the server reach them, or a mirror set in the build script.";
/** Where Debian's Java packages install their Maven artifacts (maven-repo-helper's layout). */
export const DEBIAN_MAVEN_REPO = "/usr/share/maven-repo";
/** A jar the worker may name on its command line. */
const JAR_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*\.jar$/;
/** Jars that are not the application: sources, docs, tests, the shade plugin's input, Gradle's plain jar. */
const NOT_THE_APP = /(-sources|-javadoc|-tests|-test-sources|-plain)\.jar$|^original-/;

/**
 * Java, built with Maven (pom.xml: `mvn -B package -DskipTests`) or Gradle (build.gradle: `gradle
 * build -x test`). Maven's local repository is the app's own (`<app>/cache/java/repository`), and
 * Debian's Maven repository (/usr/share/maven-repo, filled by the lib*-java packages) is its first
 * remote one, so a pom whose plugins and dependencies Debian ships builds with no network; anything
 * else comes from Maven Central. The default web worker runs the jar built: `java -jar target/<jar>`
 * (Gradle: `build/libs/<jar>`), when there is one.
 */
export function createJavaToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "java",
    description: "Java: mvn package (pom.xml) or gradle build (build.gradle), java -jar as the web worker",
    priority: 60,
    programs: [{ name: "java", install: INSTALL_JDK }],
    detect: detectJava,
    build: buildJava,
  };
}

function detectJava(app: AppSource): Detection {
  const detection = detectByFiles(app, "java", ["pom.xml", "build.gradle", "build.gradle.kts"]);
  return detection.detected || detection.files.length > 0 ? detection : { ...detection, reason: "no pom.xml or build.gradle" };
}

async function buildJava(context: ToolchainBuildContext): Promise<ToolchainContribution> {
  const { buildDir, app, logger } = context;
  const maven = isFile(join(buildDir, "pom.xml"));
  const gradle = !maven && (isFile(join(buildDir, "build.gradle")) || isFile(join(buildDir, "build.gradle.kts")));
  const java = requireTool("java", context, "java", INSTALL_JDK);
  const contribution = { path: [dirname(java)] };
  if (app.config.build.commands.length > 0) {
    logger.info(`hop3.toml [build] build is set: it replaces \`${gradle ? "gradle build" : "mvn package"}\`.`);
    return contribution;
  }
  if (maven) {
    const mvn = requireTool("mvn", context, "java", INSTALL_MAVEN);
    requireTool("javac", context, "java", INSTALL_JDK);
    const args = ["-B", "--no-transfer-progress", ...mavenArgs(cacheOf(context, "java")), "package", "-DskipTests"];
    await runFetchingStep(context, "LOCAL_BUILD_FAILED", "mvn package", mvn, args, OFFLINE_MAVEN);
    return withJar(context, contribution, "target");
  }
  if (gradle) {
    const gradleProgram = requireTool("gradle", context, "java", INSTALL_GRADLE);
    const env = context.env.GRADLE_USER_HOME ? {} : { GRADLE_USER_HOME: cacheOf(context, "java").entry("java", "gradle") };
    await runFetchingStep(context, "LOCAL_BUILD_FAILED", "gradle build", gradleProgram, ["build", "-x", "test", "--no-daemon"], OFFLINE_GRADLE, { env });
    return withJar(context, contribution, join("build", "libs"));
  }
  return contribution; // named by hop3.toml, with nothing to build
}

/**
 * Maven's options for the app: its own local repository, updates of what an earlier offline build
 * failed to fetch (Maven would otherwise not retry for a day), and settings that put Debian's
 * repository first when it is there. Given with `-s`: the operator's /etc/maven/settings.xml (a
 * mirror, a proxy) still applies.
 */
function mavenArgs(cache: AppCache): string[] {
  const args = [`-Dmaven.repo.local=${cache.entry("java", "repository")}`, "--update-snapshots"];
  if (existsSync(DEBIAN_MAVEN_REPO)) args.push("-s", cache.writeSetting("java", "settings.xml", debianSettings()));
  return args;
}

function debianSettings(): string {
  // Debian's repository has no checksums; it holds releases only.
  const policy = "<releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots>";
  const url = `file://${DEBIAN_MAVEN_REPO}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by Hop3: Debian's Maven repository, asked before Maven Central. -->
<settings>
  <profiles>
    <profile>
      <id>hop3-debian</id>
      <repositories><repository><id>debian</id><url>${url}</url>${policy}</repository></repositories>
      <pluginRepositories><pluginRepository><id>debian</id><url>${url}</url>${policy}</pluginRepository></pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>hop3-debian</activeProfile></activeProfiles>
</settings>
`;
}

/** The contribution with `web: java -jar <dir>/<jar>` when the build left one application jar in `dir`. */
function withJar(context: ToolchainBuildContext, contribution: { path: string[] }, dir: string): ToolchainContribution {
  const jars = applicationJars(join(context.buildDir, dir));
  if (jars.length !== 1) {
    context.logger.info(`${jars.length === 0 ? `No jar in ${dir}/` : `Several jars in ${dir}/ (${jars.join(", ")})`}: no default web worker; declare it in the Procfile (\`web: java -jar ${dir}/<jar>\`).`);
    return contribution;
  }
  return { ...contribution, workers: { web: `java -jar ${dir}/${jars[0]}` } };
}

/**
 * The jars of `dir` that may be the application: regular files (never links) with a plain name, not
 * sources, docs or tests; with several, a fat jar (`-jar-with-dependencies`, `-standalone`) wins.
 */
export function applicationJars(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const jars = names.filter((name) => JAR_NAME.test(name) && !NOT_THE_APP.test(name) && lstatSync(join(dir, name)).isFile()).sort();
  const fat = jars.filter((name) => /-(jar-with-dependencies|standalone)\.jar$/.test(name));
  return fat.length > 0 ? fat : jars;
}
