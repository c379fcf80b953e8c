import { lstatSync, readdirSync, readlinkSync, realpathSync, type Stats } from "node:fs";
import { join, resolve, sep } from "node:path";
import type { AppSource } from "../app.js";
import { formatLastLines } from "../command.js";
import type { Builder } from "../contracts/builder.js";
import type { AppOperationContext } from "../contracts/common.js";
import { coreError } from "../error-codes.js";
import type { AppVolume } from "../formats/volumes.js";
import { appStateDir } from "../home.js";
import { ensureDir } from "../host/home-layout.js";
import { silentLogger } from "../logger.js";
import type { BuildArtifact } from "../schemas/artifact.js";
import type { CoreDistribution } from "./core-distribution.js";
import type { Steps } from "./events.js";

/**
 * hop3.toml [[volumes]]: a directory per volume, `<HOP3_HOME>/apps/<app>/volumes/<name>`, the app
 * user's and mode 0700 (no other app, nor the web user, reads it), in `volumes/`, root's and the
 * app's group, 0750 (the app cannot swap one volume for a link). Each release sees it through a
 * link at its target, made before its workers start. Volumes are kept across deploys and
 * rollbacks and go only with the app's directory (`destroy`).
 */
export const volumesDir = (home: string, app: string): string => volumesIn(appStateDir(resolve(home), app));

const volumesIn = (appDir: string) => join(appDir, "volumes");

/** The directory of one volume. */
export const volumePath = (home: string, app: string, name: string): string => join(volumesDir(home, app), name);

/** What the app's own chores run with: the system's programs only. */
const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
/** Files a directory kept in git holds to exist: such a directory at a target is replaced by the volume. */
const PLACEHOLDERS = [".gitkeep", ".keep"];

/**
 * Run as the app's user in the release: `$1` the release, then pairs of target and volume
 * directory. Missing parents are made, a placeholder directory at the target removed, then the
 * link made in one step (a link exists whole or not at all). As the app's user, a link the app
 * swaps in on the way leads nowhere it could not write itself.
 */
const LINK_SCRIPT = [
  "set -eu",
  'cd -- "$1"',
  "shift",
  'while [ "$#" -gt 1 ]; do',
  '  case $1 in */*) mkdir -p -- "${1%/*}" ;; esac',
  `  if [ -d "$1" ] && [ ! -L "$1" ]; then rm -f -- ${PLACEHOLDERS.map((file) => `"$1/${file}"`).join(" ")}; rmdir -- "$1"; fi`,
  '  ln -s -- "$2" "$1"',
  "  shift 2",
  "done",
].join("\n");

/**
 * At plan time: an app that declares volumes needs a builder whose releases Hop3 can link them
 * into, and its sources must not put a link or a file of theirs on the way to a target, nor files
 * at it (VOLUMES_UNSUPPORTED, VOLUME_TARGET_UNSAFE, VOLUME_TARGET_OCCUPIED). The release is
 * checked again when the links are made: the build may have changed it.
 */
export function checkVolumesPlan(app: AppSource, builder: Builder): void {
  const volumes = app.config.volumes;
  if (volumes.length === 0) return;
  if (builder.workingDirPerRelease !== true) {
    throw coreError(
      "VOLUMES_UNSUPPORTED",
      `${app.name} declares [[volumes]] (${volumes.map((v) => v.name).join(", ")}), and builder "${builder.name}" runs releases from a place Hop3 does not make for each release (a read-only /nix/store path, an image): it cannot link a volume into them.`,
      { details: { app: app.name, builder: builder.name, volumes: volumes.map((v) => v.name) } },
    );
  }
  for (const volume of volumes) inspectTarget(app.dir, volume, undefined, `the app's sources (${app.dir})`);
}

/** What is at a volume's target before it is linked. */
type TargetState = "absent" | "linked" | "placeholder";

/**
 * Walks a target from `root` without following a link: a parent that is a link or a file is
 * VOLUME_TARGET_UNSAFE; at the target, files, a link elsewhere or a directory with content are
 * VOLUME_TARGET_OCCUPIED. `linkTo` is the volume's directory when a link to it may already be there.
 */
function inspectTarget(root: string, volume: AppVolume, linkTo: string | undefined, where: string): TargetState {
  const parts = volume.target.split("/");
  let path = root;
  for (const [index, part] of parts.entries()) {
    path = join(path, part);
    const stat = lstatOrUndefined(path);
    if (stat === undefined) return "absent";
    const shown = parts.slice(0, index + 1).join("/");
    if (index < parts.length - 1) {
      if (stat.isSymbolicLink() || !stat.isDirectory()) {
        throw coreError("VOLUME_TARGET_UNSAFE", `Volume "${volume.name}" goes to ${volume.target}, and ${shown} in ${where} is ${describe(stat, path)}: Hop3 does not make a volume's link through it.`, {
          details: { volume: volume.name, target: volume.target, path },
        });
      }
      continue;
    }
    if (stat.isSymbolicLink() && linkTo !== undefined && readlinkSync(path) === linkTo) return "linked";
    if (stat.isDirectory() && !stat.isSymbolicLink() && isPlaceholderDir(path)) return "placeholder";
    throw coreError("VOLUME_TARGET_OCCUPIED", `Volume "${volume.name}" goes to ${volume.target}, and ${where} has ${describe(stat, path)} there.`, {
      details: { volume: volume.name, target: volume.target, path },
    });
  }
  return "absent";
}

function describe(stat: Stats, path: string): string {
  if (stat.isSymbolicLink()) return `a link to ${readlinkSync(path)}`;
  if (stat.isDirectory()) return "a directory with files";
  return "a file";
}

function isPlaceholderDir(path: string): boolean {
  return readdirSync(path).every((entry) => PLACEHOLDERS.includes(entry) && lstatSync(join(path, entry)).isFile());
}

/**
 * Links each volume at its target in the release's working directory, before its workers start:
 * the volume's directory is made (or put right) by Hop3, the links and their missing parents by
 * the app's user. A target already linked to its volume (a rollback) is left as it is. Only a
 * working directory of this release, inside the app's directory and the app's, is changed
 * (VOLUMES_UNSUPPORTED otherwise). Nothing is done in the release that serves: a failure leaves
 * the new release, which never runs, with what was made.
 */
export async function linkVolumes(context: AppOperationContext, artifact: BuildArtifact, volumes: readonly AppVolume[]): Promise<void> {
  if (volumes.length === 0) return;
  const user = context.appUser;
  const release = releaseDirOf(context, artifact, volumes);
  const app = artifact.appName;
  ensureDir(volumesIn(context.appStateDir), { mode: 0o750, uid: user.dedicated ? 0 : user.uid, gid: user.gid });
  const pending: string[] = [];
  for (const volume of volumes) {
    const dir = join(volumesIn(context.appStateDir), volume.name);
    ensureDir(dir, { mode: 0o700, uid: user.uid, gid: user.gid });
    if (inspectTarget(release, volume, dir, `release ${artifact.buildId}`) !== "linked") pending.push(volume.target, dir);
  }
  if (pending.length === 0) return;
  const result = await context.runAsApp("sh", ["-c", LINK_SCRIPT, "hop3-volumes", release, ...pending], {
    env: { PATH: SYSTEM_PATH },
    allowFailure: true,
    keepLines: 10,
    logger: silentLogger,
    purpose: `linking the volumes of ${app}`,
  });
  for (let index = 0; index < pending.length; index += 2) {
    const [target, dir] = [pending[index]!, pending[index + 1]!];
    const path = join(release, target);
    if (lstatOrUndefined(path)?.isSymbolicLink() && readlinkSync(path) === dir) continue;
    throw coreError("VOLUME_LINK_FAILED", `The volume ${dir} of ${app} could not be linked at ${target} in ${release}.${formatLastLines(result.lastLines)}`, {
      details: { app, target, volume: dir, exitCode: result.exitCode, lastLines: result.lastLines },
    });
  }
}

/** The deploy's and the rollback's step: links the release's volumes (nothing to do when it has none). */
export async function linkReleaseVolumes(distribution: CoreDistribution, steps: Steps, signal: AbortSignal, artifact: BuildArtifact, volumes: readonly AppVolume[] = []): Promise<void> {
  if (volumes.length === 0) return;
  const context = distribution.appContext(artifact.appName, { signal });
  await steps.run("volumes", () => linkVolumes(context, artifact, volumes), () => volumes.map((v) => `${v.name} at ${v.target}`).join(", "));
}

/** The release's working directory, when it is one Hop3 may add links to; VOLUMES_UNSUPPORTED otherwise. */
function releaseDirOf(context: AppOperationContext, artifact: BuildArtifact, volumes: readonly AppVolume[]): string {
  const dir = resolve(artifact.runtime.workingDir);
  const stat = lstatOrUndefined(dir);
  const appDir = realpathSync(context.appStateDir);
  const ours =
    stat !== undefined &&
    stat.isDirectory() &&
    !stat.isSymbolicLink() &&
    realpathSync(dir).startsWith(`${appDir}${sep}`) &&
    (!context.appUser.dedicated || stat.uid === context.appUser.uid);
  if (!ours) {
    throw coreError("VOLUMES_UNSUPPORTED", `${artifact.appName} declares [[volumes]] (${volumes.map((v) => v.name).join(", ")}), and its release runs in ${dir}, which is not a directory of this release that Hop3 may add to.`, {
      details: { app: artifact.appName, builder: artifact.builder, workingDir: dir },
    });
  }
  return dir;
}

/** A volume as `hop3 status` shows it. */
export interface VolumeStatus {
  readonly name: string;
  /** Its directory on this host. */
  readonly path: string;
  /** Where the release that runs sees it; absent for a volume no longer declared (kept until `destroy`). */
  readonly target?: string;
  /** What its files hold, in bytes; absent when it has too many entries to count cheaply. */
  readonly sizeBytes?: number;
}

/** Entries counted at most for a volume's size: past them, the size is not shown. */
const SIZE_WALK_LIMIT = 10_000;

/**
 * The app's volumes: those the running release declares, and those kept from earlier releases,
 * by name, each with its size when cheap to count (links are not followed).
 */
export function listVolumes(home: string, app: string, declared: readonly AppVolume[] = []): VolumeStatus[] {
  const dir = volumesDir(home, app);
  let kept: string[] = [];
  try {
    kept = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    // no volume yet
  }
  const names = [...new Set([...declared.map((v) => v.name), ...kept])].sort();
  return names.map((name) => {
    const path = join(dir, name);
    const target = declared.find((v) => v.name === name)?.target;
    const sizeBytes = sizeOf(path);
    return { name, path, ...(target !== undefined && { target }), ...(sizeBytes !== undefined && { sizeBytes }) };
  });
}

function sizeOf(root: string): number | undefined {
  let total = 0;
  let seen = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (++seen > SIZE_WALK_LIMIT) return undefined;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) total += lstatOrUndefined(path)?.size ?? 0;
    }
  }
  return total;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
