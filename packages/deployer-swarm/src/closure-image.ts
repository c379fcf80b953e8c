import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger, type BuildArtifact, type OperationContext } from "@hop3/core";
import type { Docker } from "./docker.js";
import { swarmError } from "./errors.js";
import { imageRepository, labelsOf } from "./names.js";
import type { ResolvedSwarmOptions } from "./options.js";

/** A store path as `nix-store -qR` prints it: nothing else reaches tar's command line. */
const STORE_PATH = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+._?=-]+$/;
/** The uid and gid a Nix app runs as in its image: never root (the store is root's, read-only). */
export const CLOSURE_USER = "65534:65534";
/** Below the storage drivers' layer limits (overlay2: 128); the smallest paths share the last layer. */
export const MAX_LAYERS = 100;
/** The shells a worker's command (a shell command line, as runtime.json writes it) may run with, in order. */
const SHELLS = ["bin/sh", "bin/bash"];

/** What was packed: the image, and what the bench compares it with. */
export interface ClosureImage {
  readonly reference: string;
  /** The shell from the closure that runs each worker's command. */
  readonly shell: string;
  /** Store paths in the closure, and their bytes (`nix-store -q --size`, summed). */
  readonly paths: number;
  readonly closureBytes: number;
  readonly layers: number;
}

/**
 * The Nix closure of a release as an image: one layer per store path of `nix-store -qR` (the
 * largest first; past MAX_LAYERS, the rest share one), written as a `docker save` archive and
 * `docker load`ed; no Dockerfile, no Nix in the image. Its Cmd is the web worker's command through
 * a shell of the closure, its PATH runtime.json's `path`, its user CLOSURE_USER. Built once per
 * store path; a closure with no shell is refused (SWARM_NIX_NO_SHELL).
 */
export async function ensureClosureImage(options: ResolvedSwarmOptions, docker: Docker, artifact: BuildArtifact, context: OperationContext): Promise<ClosureImage> {
  const app = artifact.appName;
  const storePath = String(artifact.metadata.storePath);
  const paths = (await nixStore(options, context, app, ["--query", "--requisites", storePath])).split("\n").filter((line) => line !== "");
  const bad = paths.find((path) => !STORE_PATH.test(path));
  if (bad !== undefined || !paths.includes(storePath)) {
    throw swarmError("SWARM_ARTIFACT_UNSUPPORTED", `The closure of ${storePath} names ${JSON.stringify(bad ?? "no such path")}, not a store path.`, { details: { app, storePath } });
  }
  const sizes = (await nixStore(options, context, app, ["--query", "--size", ...paths])).split("\n").filter((line) => line !== "").map(Number);
  const closureBytes = sizes.reduce((sum, size) => sum + size, 0);
  const shell = shellOf(paths);
  if (shell === undefined) {
    throw swarmError("SWARM_NIX_NO_SHELL", `The closure of ${app} (${storePath}) has no shell (${SHELLS.join(" or ")} in one of its ${paths.length} store paths) to run its workers' commands.`, {
      details: { app, storePath },
    });
  }
  const bySize = paths.map((path, index) => ({ path, size: sizes[index] ?? 0 })).sort((a, b) => b.size - a.size || a.path.localeCompare(b.path));
  const groups = [...bySize.slice(0, MAX_LAYERS - 1).map((entry) => [entry.path]), ...(bySize.length >= MAX_LAYERS ? [bySize.slice(MAX_LAYERS - 1).map((entry) => entry.path)] : [])];
  const reference = `${imageRepository(app, undefined)}:nix-${artifact.buildId.slice(0, 32)}`;
  const packed = { reference, shell, paths: paths.length, closureBytes, layers: groups.length };
  if ((await docker.result(["image", "inspect", "--format", "{{.Id}}", reference], "inspecting the closure image")).exitCode === 0) return packed;

  const dir = mkdtempSync(join(tmpdir(), "hop3-closure-"));
  try {
    const layers: { file: string; diffId: string }[] = [];
    for (const [index, group] of groups.entries()) {
      const file = `${index}/layer.tar`;
      mkdirSync(join(dir, String(index)));
      // The parents in every layer, owned by root; the paths as the store has them, owner root.
      const done = await context.run(
        "tar",
        ["--create", "--file", join(dir, file), "--directory", "/", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@1", "--sort=name", "--no-recursion", "nix", "nix/store", "--recursion", ...group.map((path) => path.slice(1))],
        { allowFailure: true, logger: silentLogger, signal: context.signal, purpose: `packing ${group[0]}` },
      );
      if (done.exitCode !== 0) throw packFailed(app, reference, `tar exited with ${done.exitCode}`, done.lastLines);
      layers.push({ file, diffId: `sha256:${await sha256Of(join(dir, file))}` });
    }
    const runtime = artifact.runtime;
    const workingDir = runtime.workingDir.startsWith(`${storePath}/`) || runtime.workingDir === storePath ? runtime.workingDir : storePath;
    const path = [...runtime.path.filter((entry) => STORE_PATH.test(entry.split("/").slice(0, 4).join("/"))), shell.replace(/\/[^/]+$/, "")].join(":");
    const config = JSON.stringify({
      architecture: goArch(),
      os: "linux",
      config: {
        User: CLOSURE_USER,
        Env: [`PATH=${path}`],
        Entrypoint: [shell, "-c"],
        Cmd: [runtime.workers.web ?? Object.values(runtime.workers)[0] ?? "exit 1"],
        WorkingDir: workingDir,
        Labels: Object.fromEntries(labelsOf(app).map((label) => label.split("=") as [string, string])),
      },
      rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.diffId) },
      history: groups.map((group) => ({ created: "1970-01-01T00:00:01Z", created_by: `hop3: ${group.length === 1 ? group[0] : `${group.length} store paths`}` })),
    });
    const configFile = `${createHash("sha256").update(config).digest("hex")}.json`;
    writeFileSync(join(dir, configFile), config);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify([{ Config: configFile, RepoTags: [reference], Layers: layers.map((layer) => layer.file) }]));
    const archive = join(dir, "image.tar");
    const tar = await context.run("tar", ["--create", "--file", archive, "--directory", dir, "--exclude", "image.tar", "."], { allowFailure: true, logger: silentLogger, signal: context.signal, purpose: "writing the image archive" });
    if (tar.exitCode !== 0) throw packFailed(app, reference, `tar exited with ${tar.exitCode}`, tar.lastLines);
    const loaded = await docker.result(["load", "--quiet", "--input", archive], `loading ${reference}`, 600_000);
    if (loaded.exitCode !== 0) throw packFailed(app, reference, `docker load exited with ${loaded.exitCode}`, loaded.lastLines);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return packed;
}

/** The first shell of the closure whose real file stays in the store. */
function shellOf(paths: readonly string[]): string | undefined {
  for (const shell of SHELLS) {
    for (const path of paths) {
      const candidate = join(path, shell);
      if (!existsSync(candidate)) continue;
      const real = realpathSync(candidate);
      if (real.startsWith("/nix/store/") && paths.some((p) => real.startsWith(`${p}/`)) && (statSync(real).mode & 0o111) !== 0) return candidate;
    }
  }
  return undefined;
}

async function nixStore(options: ResolvedSwarmOptions, context: OperationContext, app: string, args: readonly string[]): Promise<string> {
  const done = await context.run(options.nixStore, args, { allowFailure: true, logger: silentLogger, signal: context.signal, purpose: `nix-store ${args[0]}`, notFoundHint: "Install Nix, or give the path of nix-store in the deployer's `nixStore` option." });
  if (done.exitCode !== 0) throw packFailed(app, "the closure image", `nix-store exited with ${done.exitCode}`, done.lastLines);
  return done.stdout;
}

const packFailed = (app: string, reference: string, why: string, lastLines: readonly string[]) =>
  swarmError("SWARM_IMAGE_BUILD_FAILED", `Packing the Nix closure of ${app} into ${reference} failed: ${why}:\n${lastLines.map((line) => `  ${line}`).join("\n")}`, {
    details: { app, reference, lastLines: [...lastLines] },
  });

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** The image's architecture, as Docker names Node's. */
const goArch = (): string => (({ x64: "amd64", ia32: "386", ppc64: "ppc64le" }) as Record<string, string>)[process.arch] ?? process.arch;
