import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDistribution, createMemoryLogger } from "@hop3/core";
import { localBuilderPlugin, type LocalBuilderOptions } from "../src/index.js";
import { caught, FIXTURES, removeTempHomes, tempHome } from "./helpers.js";

// The PHP, Rust, Java and Clojure toolchains with their real programs: what a build leaves, where the
// caches are, what a missing program or an unreachable registry says. test/fixtures.integration.test.ts
// deploys their fixtures through uWSGI and nginx.
const home = tempHome("h3tc-");
const apps = mkdtempSync(join(home, "src-"));
const env = { ...process.env, HOP3_HOME: home };
const distributionWith = (options: LocalBuilderOptions = {}) => createDistribution({ plugins: [localBuilderPlugin(options)], env });
const distribution = distributionWith();
afterAll(removeTempHomes);

function app(name: string, files: Record<string, string>): string {
  const dir = join(apps, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

async function build(dir: string, d = distribution) {
  const logger = createMemoryLogger();
  const artifact = await d.build(await d.plan(dir), { logger });
  return { artifact, log: logger.entries.map((entry) => entry.text).join("\n") };
}

/** The error of building `dir` on a server whose build PATH is `/usr/sbin`: none of the toolchains' programs. */
const withoutPrograms = (dir: string) => caught(() => build(dir, distributionWith({ env: { PATH: "/usr/sbin" } })));

describe("the php toolchain", () => {
  it("installs with composer into the release, with Composer's home in the app's cache, and serves with php -S", async () => {
    const { artifact } = await build(join(FIXTURES, "php-composer"));
    expect(artifact.kind).toBe("php");
    expect(existsSync(join(artifact.location, "vendor", "autoload.php"))).toBe(true);
    expect(artifact.runtime.workers).toEqual({ web: 'php -S "$BIND_ADDRESS:$PORT" -t public' });
    expect(artifact.runtime.path).toEqual([join(artifact.location, "vendor", "bin"), "/usr/bin"]);
    expect(existsSync(join(home, "apps", "php-composer", "cache", "php", "composer"))).toBe(true);
  });

  it("runs composer's scripts as the app's user, never as root", async () => {
    const script = ["id -u > uid.txt", "cat /etc/shadow > shadow.txt || true"];
    // Without a composer.lock, `composer install` resolves first and runs the post-update scripts.
    const composer = JSON.stringify({ require: {}, scripts: { "post-install-cmd": script, "post-update-cmd": script } });
    const { artifact } = await build(app("phpscripts", { "composer.json": composer, "index.php": "<?php echo 1;" }));
    const uid = Number(readFileSync(join(artifact.location, "uid.txt"), "utf8").trim());
    expect(uid).not.toBe(0);
    expect(uid).toBe(statSync(artifact.location).uid);
    expect(readFileSync(join(artifact.location, "shadow.txt"), "utf8")).toBe("");
  });

  it("serves the root of an app without public/ or web/, and needs no composer without a composer.json", async () => {
    const { artifact } = await build(join(FIXTURES, "php-plain"), distributionWith({ env: { PATH: "/usr/bin:/bin" } }));
    expect(artifact.runtime.workers).toEqual({ web: 'php -S "$BIND_ADDRESS:$PORT" -t .' });
    expect(existsSync(join(artifact.location, "vendor"))).toBe(false);
  });

  it("names the Debian packages and hop3 setup --with php when php is missing", async () => {
    const error = await withoutPrograms(join(FIXTURES, "php-plain"));
    expect(error.code).toBe("LOCAL_TOOL_MISSING");
    expect(error.message).toContain("php was not found on PATH");
    expect(error.hint).toContain("hop3 setup --with php");
    expect(error.hint).toContain("apt-get install php-cli composer");
  });

  it("says the app needs the network when Packagist (here: a registry that never resolves) cannot be reached", async () => {
    const error = await caught(() => build(join(FIXTURES, "php-needs-network")));
    expect(error.code).toBe("LOCAL_DEPENDENCIES_NEED_NETWORK");
    expect(error.message).toContain('"php-needs-network" needs the network to fetch its dependencies: composer install could not reach the registry');
    expect(error.message).toContain("packages.invalid");
    expect(error.hint).toContain("Packagist");
  });
});

describe("the rust toolchain", () => {
  it("builds with Debian's cargo, cargo's home in the app's cache, and offers the binary as the web worker", async () => {
    const { artifact } = await build(join(FIXTURES, "rust-hello"));
    expect(artifact.kind).toBe("rust");
    expect(artifact.runtime.workers).toEqual({ web: "target/release/rust-hello" });
    expect(existsSync(join(artifact.location, "target", "release", "rust-hello"))).toBe(true);
    // Not root's rustup (/root/.cargo/bin, which the app's user cannot enter): the cargo the server's package installs.
    expect(artifact.runtime.path).toEqual([join(artifact.location, "target", "release"), "/usr/bin"]);
    expect(artifact.runtime.env.CARGO_HOME).toBe(join(home, "apps", "rust-hello", "cache", "rust", "cargo"));
  });

  it("runs Cargo.toml's default-run, or none of several binaries, and hop3.toml [build] build in place of cargo build", async () => {
    const manifest = (extra: string) => `[package]\nname = "multi"\nversion = "0.1.0"\nedition = "2021"\n${extra}\n[[bin]]\nname = "api"\npath = "src/api.rs"\n\n[[bin]]\nname = "jobs"\npath = "src/jobs.rs"\n`;
    const sources = { "src/api.rs": "fn main() {}\n", "src/jobs.rs": "fn main() {}\n" };
    const chosen = await build(app("multi", { "Cargo.toml": manifest('default-run = "jobs"'), ...sources }));
    expect(chosen.artifact.runtime.workers).toEqual({ web: "target/release/jobs" });
    const several = await build(app("several", { "Cargo.toml": manifest("").replace('name = "multi"', 'name = "several"'), ...sources, Procfile: "web: target/release/api\n" }));
    expect(several.log).toContain("Cargo.toml has several binaries (api, jobs) and no default-run");
    expect(several.artifact.runtime.workers).toEqual({ web: "target/release/api" });
    const toml = '[build]\nbuild = "cargo build"\n\n[run]\nstart = "target/debug/api"\n';
    const replaced = await build(app("replaced", { "Cargo.toml": manifest("").replace('name = "multi"', 'name = "replaced"'), ...sources, "hop3.toml": toml }));
    expect(replaced.log).toContain("[build] build is set: it replaces `cargo build --release`");
    expect(existsSync(join(replaced.artifact.location, "target", "release"))).toBe(false);
    expect(existsSync(join(replaced.artifact.location, "target", "debug", "api"))).toBe(true);
  });

  it("names the Debian packages and hop3 setup --with rust when cargo is missing", async () => {
    const error = await withoutPrograms(join(FIXTURES, "rust-hello"));
    expect(error.code).toBe("LOCAL_TOOL_MISSING");
    expect(error.message).toContain("cargo was not found on PATH");
    expect(error.hint).toContain("hop3 setup --with rust");
    expect(error.hint).toContain("apt-get install cargo rustc");
  });

  it("says the app needs the network when a dependency's host cannot be reached", async () => {
    const error = await caught(() => build(join(FIXTURES, "rust-needs-network")));
    expect(error.code).toBe("LOCAL_DEPENDENCIES_NEED_NETWORK");
    expect(error.message).toContain("cargo build --release could not reach the registry");
    expect(error.message).toContain("git.invalid");
    expect(error.hint).toContain("cargo vendor");
  });

  it("fails with cargo's own words on a Cargo.toml it cannot read", async () => {
    const error = await caught(() => build(app("badcargo", { "Cargo.toml": "[package\nname = 1\n", "src/main.rs": "fn main() {}\n" })));
    expect(error.code).toBe("LOCAL_BUILD_FAILED");
    expect(error.message).toContain("cargo build --release failed");
  });
});

describe("the java toolchain", () => {
  it("builds a pom offline from Debian's Maven repository, into the app's own local repository, and runs the jar", async () => {
    const { artifact, log } = await build(join(FIXTURES, "java-maven"));
    expect(artifact.kind).toBe("java");
    expect(log).not.toContain("central");
    expect(artifact.runtime.workers).toEqual({ web: "java -jar target/java-maven-1.0.jar" });
    const cache = join(home, "apps", "java-maven", "cache", "java");
    expect(existsSync(join(cache, "repository", "org", "apache", "maven", "plugins", "maven-compiler-plugin"))).toBe(true);
    // Hop3's settings: root's, in a directory the app cannot write; the app reads them.
    const settings = statSync(join(cache, "settings.xml"));
    expect([settings.uid, settings.mode & 0o777]).toEqual([0, 0o644]);
    expect(readFileSync(join(cache, "settings.xml"), "utf8")).toContain("<url>file:///usr/share/maven-repo</url>");
  });

  it("says the app needs the network when Maven cannot reach a repository", async () => {
    const error = await caught(() => build(join(FIXTURES, "java-needs-network")));
    expect(error.code).toBe("LOCAL_DEPENDENCIES_NEED_NETWORK");
    expect(error.message).toContain("mvn package could not reach the registry");
    expect(error.message).toContain("Unknown host repo.invalid");
    expect(error.hint).toContain("/usr/share/maven-repo");
  });

  it("names the Debian packages and hop3 setup --with java when Maven is missing", async () => {
    const error = await withoutPrograms(join(FIXTURES, "java-maven"));
    expect(error.code).toBe("LOCAL_TOOL_MISSING");
    expect(error.hint).toContain("hop3 setup --with java");
    expect(error.hint).toContain("default-jdk-headless");
  });

  it("detects a build.gradle, and says Gradle is missing when it is", async () => {
    // A PATH with java and nothing else, in a directory the app's user may enter.
    const bin = mkdtempSync(join(tmpdir(), "h3tcbin-"));
    chmodSync(bin, 0o755);
    symlinkSync("/usr/bin/java", join(bin, "java"));
    try {
      const dir = app("gradleapp", { "build.gradle": "plugins { id 'java' }\n" });
      const plan = await distribution.plan(dir);
      expect(plan.toolchains.map((t) => [t.name, t.reason])).toEqual([["java", "build.gradle found"]]);
      const error = await caught(() => build(dir, distributionWith({ env: { PATH: bin } })));
      expect(error.code).toBe("LOCAL_TOOL_MISSING");
      expect(error.message).toContain("gradle was not found on PATH");
      expect(error.hint).toContain("apt-get install gradle");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("runs hop3.toml [build] build in place of mvn package", async () => {
    const toml = '[build]\nbuild = "echo built by hand > built.txt"\n\n[run]\nstart = "java -version"\n';
    const { artifact, log } = await build(app("mvnreplaced", { "pom.xml": "<project/>", "hop3.toml": toml }));
    expect(log).toContain("[build] build is set: it replaces `mvn package`");
    expect(existsSync(join(artifact.location, "built.txt"))).toBe(true);
    expect(existsSync(join(artifact.location, "target"))).toBe(false);
  });
});

describe("the clojure toolchain", () => {
  it("builds a project.clj offline with lein uberjar, from Debian's Clojure, and runs the standalone jar", async () => {
    const { artifact } = await build(join(FIXTURES, "clojure-lein"));
    expect(artifact.kind).toBe("clojure");
    expect(artifact.runtime.workers).toEqual({ web: "java -jar target/clojure-lein-0.1.0-standalone.jar" });
    const cache = join(home, "apps", "clojure-lein", "cache", "clojure");
    // Leiningen's home is Hop3's directory, which the app cannot write; its profile names the app's repository.
    expect(artifact.runtime.env.LEIN_HOME).toBe(cache);
    expect([statSync(cache).uid, statSync(join(cache, "profiles.clj")).uid]).toEqual([0, 0]);
    expect(readFileSync(join(cache, "profiles.clj"), "utf8")).toContain(`:local-repo ${JSON.stringify(join(cache, "repository"))}`);
    expect(existsSync(join(cache, "repository", "org", "clojure", "clojure", "1.11.1"))).toBe(true);
  });

  it("says the app needs the network when a library's repository cannot be reached", async () => {
    const error = await caught(() => build(join(FIXTURES, "clojure-needs-network")));
    expect(error.code).toBe("LOCAL_DEPENDENCIES_NEED_NETWORK");
    expect(error.message).toContain("lein uberjar could not reach the registry");
    expect(error.message).toContain("hop3-fixtures:greeting:jar:1.0");
    expect(error.hint).toContain("Clojars");
  });

  it("names the Debian packages and hop3 setup --with clojure when Leiningen is missing", async () => {
    const bin = mkdtempSync(join(tmpdir(), "h3tcbin-"));
    chmodSync(bin, 0o755);
    symlinkSync("/usr/bin/java", join(bin, "java"));
    try {
      const error = await caught(() => build(join(FIXTURES, "clojure-lein"), distributionWith({ env: { PATH: bin } })));
      expect(error.code).toBe("LOCAL_TOOL_MISSING");
      expect(error.message).toContain("lein was not found on PATH");
      expect(error.hint).toContain("hop3 setup --with clojure");
      expect(error.hint).toContain("apt-get install leiningen");
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("the app cannot change Leiningen's home: Hop3's profile stays as Hop3 wrote it", async () => {
    const attack = 'for f in "$LEIN_HOME/profiles.clj" "$LEIN_HOME/profiles.d.clj"; do echo "{:user {:local-repo \\"/tmp\\"}}" > "$f" 2>/dev/null && echo "wrote $f" >> attack.txt; done; touch attack.txt; echo "$LEIN_HOME" > home.txt';
    const toml = `[build]\nbuild = ${JSON.stringify(attack)}\n\n[run]\nstart = "java -jar target/app.jar"\n`;
    const { artifact } = await build(app("leinattack", { "project.clj": '(defproject leinattack "0.1.0")\n', "hop3.toml": toml }));
    // The command saw Leiningen's home, and could write none of it.
    expect(readFileSync(join(artifact.location, "home.txt"), "utf8").trim()).toBe(join(home, "apps", "leinattack", "cache", "clojure"));
    expect(readFileSync(join(artifact.location, "attack.txt"), "utf8")).toBe("");
    const profile = readFileSync(join(artifact.runtime.env.LEIN_HOME!, "profiles.clj"), "utf8");
    expect(profile).toContain(join(home, "apps", "leinattack", "cache", "clojure", "repository"));
    expect(profile).not.toContain('"/tmp"');
  });

  it("builds a deps.edn only with the Clojure CLI: Debian's clojure is not it", async () => {
    const error = await caught(() => build(app("depsedn", { "deps.edn": "{:paths [\"src\"]}\n" })));
    expect(error.code).toBe("LOCAL_TOOL_MISSING");
    expect(error.message).toContain("needs the Clojure CLI");
    expect(error.hint).toContain("https://clojure.org/guides/install_clojure");
  });
});
