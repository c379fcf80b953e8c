import { dirname, join } from "node:path";
import { readAppFile, type LanguageToolchain, type ToolchainBuildContext, type ToolchainContribution } from "@hop3/core";
import { cacheOf } from "../cache.js";
import { localError } from "../errors.js";
import { filesEndingWith } from "./files.js";
import { runFetchingStep } from "./network.js";
import { detectByFiles, isFile, requireTool } from "./shared.js";

const INSTALL_CARGO = "Install Rust: `hop3 setup --with rust` (on Debian or Ubuntu `apt-get install cargo rustc`), or from https://rustup.rs into a directory every user may enter.";
const OFFLINE_RUST =
  "cargo downloads crates from crates.io (and git dependencies from their hosts). Let the server reach them (or a mirror set in the app's .cargo/config.toml `[source]`), or vendor the crates with the app (`cargo vendor`, with the .cargo/config.toml it prints).";
/** What cargo accepts as the name of a binary target; also what may go into the worker's command line. */
const BINARY_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Rust: `cargo build --release` in the release, with cargo's home (registry, git checkouts) the app's
 * own, `<app>/cache/rust/cargo`, unless CARGO_HOME is set. No `--offline` or `--locked`: an app with a
 * Cargo.lock builds as `cargo build` builds it, fetching what its lockfile names. The default web
 * worker is the binary built (`target/release/<name>`): Cargo.toml's `default-run`, else its one binary
 * target ([[bin]], src/main.rs named after the package, src/bin/*.rs).
 */
export function createRustToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "rust",
    description: "Rust: cargo build --release, the binary as the web worker",
    priority: 55,
    programs: [{ name: "cargo", install: INSTALL_CARGO }],
    detect: (app) => detectByFiles(app, "rust", ["Cargo.toml"]),
    build: buildRust,
  };
}

async function buildRust(context: ToolchainBuildContext): Promise<ToolchainContribution> {
  const { buildDir, app, logger } = context;
  const cargo = requireTool("cargo", context, "rust", INSTALL_CARGO);
  const env: Record<string, string> = {};
  if (!context.env.CARGO_HOME) env.CARGO_HOME = cacheOf(context, "rust").entry("rust", "cargo");
  // The workers may run cargo too (`web: cargo run --release`): the same one, with the same home.
  const contribution = { env, path: [dirname(cargo)] };
  if (app.config.build.commands.length > 0) {
    logger.info("hop3.toml [build] build is set: it replaces `cargo build --release`.");
    return contribution;
  }
  if (!isFile(join(buildDir, "Cargo.toml"))) return contribution; // named by hop3.toml, with nothing to build
  await runFetchingStep(context, "LOCAL_BUILD_FAILED", "cargo build --release", cargo, ["build", "--release"], OFFLINE_RUST, { env });
  const binary = await mainBinary(context);
  if (binary === undefined) return contribution;
  const path = `target/release/${binary}`;
  if (!isFile(join(buildDir, path))) {
    logger.warn(`cargo built no ${path}: declare the web worker in the Procfile.`);
    return contribution;
  }
  return { ...contribution, path: [join(buildDir, "target", "release"), ...contribution.path], workers: { web: path } };
}

interface CargoManifest {
  package?: { name?: unknown; "default-run"?: unknown; autobins?: unknown };
  bin?: Array<{ name?: unknown }>;
}

/** The binary to run by default, or undefined (with why) when Cargo.toml names none or several. */
async function mainBinary(context: ToolchainBuildContext): Promise<string | undefined> {
  const { buildDir, logger } = context;
  const manifest = await readCargoToml(context);
  const pkg = manifest.package ?? {};
  const name = typeof pkg.name === "string" ? pkg.name : undefined;
  const candidates = new Set<string>();
  for (const bin of manifest.bin ?? []) if (typeof bin.name === "string") candidates.add(bin.name);
  if (pkg.autobins !== false) {
    if (name !== undefined && isFile(join(buildDir, "src", "main.rs"))) candidates.add(name);
    for (const file of filesEndingWith(join(buildDir, "src", "bin"), ".rs")) candidates.add(file.slice(0, -".rs".length));
  }
  const defaultRun = typeof pkg["default-run"] === "string" ? pkg["default-run"] : undefined;
  const chosen = defaultRun ?? (candidates.size === 1 ? [...candidates][0] : undefined);
  if (chosen === undefined) {
    const why = candidates.size === 0 ? "Cargo.toml has no binary target" : `Cargo.toml has several binaries (${[...candidates].join(", ")}) and no default-run`;
    logger.info(`${why}: no default web worker; declare it in the Procfile.`);
    return undefined;
  }
  if (!BINARY_NAME.test(chosen)) {
    logger.warn(`The binary "${chosen}" is not a name cargo builds: no default web worker; declare it in the Procfile.`);
    return undefined;
  }
  return chosen;
}

async function readCargoToml(context: ToolchainBuildContext): Promise<CargoManifest> {
  const file = join(context.buildDir, "Cargo.toml");
  // Root reads the app's file: never through a link out of the release (readAppFile refuses it).
  const text = readAppFile(context.buildDir, file);
  // Loaded here, not at start-up: only a Rust build reads TOML of its own.
  const { parse } = await import("smol-toml");
  try {
    return parse(text) as CargoManifest;
  } catch (error) {
    throw localError("LOCAL_MANIFEST_INVALID", `Cargo.toml of "${context.app.name}" is not valid TOML: ${(error as Error).message.split("\n")[0]}`, {
      cause: error,
      details: { app: context.app.name, file },
    });
  }
}

