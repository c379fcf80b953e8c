import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defineBench } from "@hop3/bench";
import type { BuildArtifact, OperationContext } from "@hop3/core";
import { createNginxRouter } from "@hop3/router-nginx";
import { ensureClosureImage } from "../src/closure-image.js";
import { dockerOf } from "../src/docker.js";
import { resolveSwarmOptions } from "../src/options.js";
import { docker, ensureSwarmEngine, testDeployContext, tryDocker } from "../test/helpers.js";

// A Nix app's closure packed into an image (a layer per store path, a `docker load` archive
// Hop3 writes) against the raw tools doing the least that gives an image of the same files: one
// tar of the closure, `docker import`ed as a single layer. Notes: the image's size against the
// closure's (`nix-store -q --size`).
const FIXTURE = resolve(import.meta.dirname, "../../../test-fixtures/apps/nix-busybox");
const home = mkdtempSync(join(tmpdir(), "h3sw-closure-bench-"));
const options = resolveSwarmOptions({});
const RAW = "hop3-bench-raw/closure:latest";
let context: OperationContext;
let artifact: BuildArtifact;
let closure: string[] = [];
let reference = "";
let closureBytes = 0;

async function pack() {
  const packed = await ensureClosureImage(options, dockerOf(options, context, artifact.appName), artifact, context);
  reference = packed.reference;
  closureBytes = packed.closureBytes;
}

function rawImport(): void {
  const archive = join(home, "raw.tar");
  execFileSync("tar", ["--create", "--file", archive, "--directory", "/", ...closure.map((path) => path.slice(1))]);
  docker(["import", "--change", "USER 65534:65534", archive, RAW]);
  rmSync(archive);
}

export default defineBench({
  name: "deployer-swarm closure image",
  async setup() {
    ensureSwarmEngine();
    context = testDeployContext(home, createNginxRouter({ httpPort: 1 }));
    const storePath = execFileSync("nix-build", [join(FIXTURE, "hop3.nix"), "-A", "package", "--no-out-link"], { encoding: "utf8" }).trim().split("\n").at(-1)!;
    closure = execFileSync("nix-store", ["--query", "--requisites", storePath], { encoding: "utf8" }).trim().split("\n");
    const runtime = JSON.parse(execFileSync("cat", [join(storePath, "hop3", "runtime.json")], { encoding: "utf8" })) as { workers: Record<string, string>; path: string[] };
    artifact = {
      apiVersion: 1,
      kind: "nix",
      location: storePath,
      builder: "nix",
      appName: "bench-closure",
      buildId: storePath.slice(11, 43),
      builtAt: new Date().toISOString(),
      metadata: { storePath },
      runtime: { workers: runtime.workers, env: {}, path: runtime.path, workingDir: storePath },
    };
    return () => {
      tryDocker(["image", "rm", RAW]);
      if (reference !== "") tryDocker(["image", "rm", reference]);
      rmSync(home, { recursive: true, force: true });
    };
  },
  cases: [
    {
      name: "a Nix closure (nix-busybox, 2 store paths) into an image on the engine",
      subject: { label: "ensureClosureImage (a layer per store path, docker load)", run: pack },
      baseline: { label: "tar of the closure | docker import (one layer)", run: rawImport },
      // Each run builds from nothing: the image of the previous run is removed, untimed.
      beforeEach: () => {
        if (reference !== "") tryDocker(["image", "rm", reference]);
        tryDocker(["image", "rm", RAW]);
      },
      iterations: 5,
      goal: "a ratio, no target: layering costs a tar and a digest per store path",
    },
  ],
  async notes() {
    // The last run's beforeEach removed one of the two: both again, untimed.
    await pack();
    rawImport();
    const size = (image: string) => Number(docker(["image", "inspect", "--format", "{{.Size}}", image]).trim());
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    const packed = size(reference);
    const raw = size(RAW);
    const layers = JSON.parse(docker(["image", "inspect", "--format", "{{json .RootFS.Layers}}", reference])) as string[];
    return [
      `closure: ${closure.length} store paths, ${kib(closureBytes)}; image: ${layers.length} layers, ${kib(packed)} (${(packed / closureBytes).toFixed(3)} of the closure); raw docker import: ${kib(raw)}`,
    ];
  },
});
