import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalizeConfig, type AppSource } from "@hop3/core";
import { applicationJars, builtinToolchains, offlineEvidence } from "../src/index.js";

// Detection of the PHP, Rust, Java and Clojure toolchains, and how a download that met no network is recognized.
const scratch = mkdtempSync(join(tmpdir(), "h3lt-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const appWith = (files: Record<string, string>, toolchain?: string): AppSource => {
  const dir = mkdtempSync(join(scratch, "app-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return { dir, name: "app", config: normalizeConfig(toolchain ? ({ build: { toolchain } } as never) : {}, { entries: [] }) };
};

const toolchains = builtinToolchains();
const toolchain = (name: string) => toolchains.find((t) => t.name === name)!;
/** What each toolchain that detects the app says. */
const detected = async (app: AppSource) => {
  const out: Record<string, string> = {};
  for (const t of toolchains) {
    const d = await t.detect(app);
    if (d.detected) out[t.name] = d.reason;
  }
  return out;
};

describe("php detection", () => {
  it("finds a composer.json or .php files at the root", async () => {
    expect(await detected(appWith({ "composer.json": "{}" }))).toEqual({ php: "composer.json found" });
    expect(await detected(appWith({ "index.php": "" }))).toEqual({ php: "index.php found" });
    expect(await toolchain("php").detect(appWith({ "composer.json": "{}", "a.php": "", "b.php": "", "c.php": "" }))).toMatchObject({ files: ["composer.json", "a.php", "b.php", "c.php"], reason: "composer.json, a.php, b.php and 1 more found" });
  });

  it("ignores .php files below the root and a directory named like one", async () => {
    expect(await toolchain("php").detect(appWith({ "src/index.php": "", "x.php/README": "" }))).toEqual({ detected: false, files: [], reason: "no composer.json or *.php file" });
  });

  it("is detected when hop3.toml names it, and ruled out when it names another", async () => {
    expect(await toolchain("php").detect(appWith({}, "php"))).toMatchObject({ detected: true, reason: "named by hop3.toml [build] toolchain" });
    expect(await detected(appWith({ "index.php": "" }, "generic"))).toEqual({ generic: "named by hop3.toml [build] toolchain" });
  });
});

describe("offlineEvidence", () => {
  it("finds a name that does not resolve, even in a message wrapped over lines", () => {
    const composer = ["  php_network_getaddresses: getaddrinfo for packages.invalid failed: Name or   ", "  service not known   "];
    expect(offlineEvidence(composer)).toEqual(["php_network_getaddresses: getaddrinfo for packages.invalid failed: Name or"]);
    expect(offlineEvidence(["Failed to open stream: Name or", "service not known"])).toEqual(["Failed to open stream: Name or service not known"]);
  });

  it("finds Leiningen's transfer failures, which leave out their cause", () => {
    const lein = "Could not transfer artifact aleph:aleph:jar:0.4.6 from/to clojars (https://repo.clojars.org/): transfer failed for https://repo.clojars.org/aleph/aleph/0.4.6/aleph-0.4.6.jar";
    expect(offlineEvidence(["Retrieving aleph/aleph/0.4.6/aleph-0.4.6.pom from clojars", lein])).toEqual([lein]);
  });

  it("finds nothing in a failure of another kind", () => {
    expect(offlineEvidence(["error[E0425]: cannot find value `x` in this scope", "Your requirements could not be resolved to an installable set of packages.", "Could not find artifact acme:nothing:jar:1.0 in central (https://repo.maven.apache.org/maven2)"])).toEqual([]);
  });
});

describe("rust detection", () => {
  it("finds a Cargo.toml, or is named by hop3.toml", async () => {
    expect(await detected(appWith({ "Cargo.toml": "" }))).toEqual({ rust: "Cargo.toml found" });
    expect(await toolchain("rust").detect(appWith({}, "rust"))).toMatchObject({ detected: true, reason: "named by hop3.toml [build] toolchain" });
    expect(await toolchain("rust").detect(appWith({ "Cargo.toml": "" }, "generic"))).toMatchObject({ detected: false });
    expect(await toolchain("rust").detect(appWith({ "src/main.rs": "" }))).toEqual({ detected: false, files: [], reason: "no Cargo.toml" });
  });
});

describe("java detection", () => {
  it("finds a pom.xml or a Gradle build script", async () => {
    expect(await detected(appWith({ "pom.xml": "<project/>" }))).toEqual({ java: "pom.xml found" });
    expect(await detected(appWith({ "build.gradle": "" }))).toEqual({ java: "build.gradle found" });
    expect(await detected(appWith({ "build.gradle.kts": "" }))).toEqual({ java: "build.gradle.kts found" });
    expect(await toolchain("java").detect(appWith({ "Main.java": "" }))).toEqual({ detected: false, files: [], reason: "no pom.xml or build.gradle" });
    expect(await toolchain("java").detect(appWith({}, "java"))).toMatchObject({ detected: true });
  });
});

describe("applicationJars", () => {
  it("keeps the application's jars: not sources, docs, tests or links; a fat jar when there is one", () => {
    const dir = appWith({ "app-1.0.jar": "", "app-1.0-sources.jar": "", "app-1.0-javadoc.jar": "", "original-app-1.0.jar": "", "notes.txt": "" }).dir;
    symlinkSync("/etc/passwd", join(dir, "linked.jar"));
    expect(applicationJars(dir)).toEqual(["app-1.0.jar"]);
    writeFileSync(join(dir, "app-1.0-jar-with-dependencies.jar"), "");
    expect(applicationJars(dir)).toEqual(["app-1.0-jar-with-dependencies.jar"]);
    expect(applicationJars(appWith({ "a b.jar": "", "$(id).jar": "" }).dir)).toEqual([]);
    expect(applicationJars(join(dir, "missing"))).toEqual([]);
  });
});

describe("clojure detection", () => {
  it("finds a project.clj or a deps.edn", async () => {
    expect(await detected(appWith({ "project.clj": "" }))).toEqual({ clojure: "project.clj found" });
    expect(await detected(appWith({ "deps.edn": "{}" }))).toEqual({ clojure: "deps.edn found" });
    expect(await toolchain("clojure").detect(appWith({ "src/core.clj": "" }))).toEqual({ detected: false, files: [], reason: "no project.clj or deps.edn" });
    expect(await toolchain("clojure").detect(appWith({}, "clojure"))).toMatchObject({ detected: true });
    expect(await toolchain("clojure").detect(appWith({ "project.clj": "" }, "java"))).toMatchObject({ detected: false });
  });
});
