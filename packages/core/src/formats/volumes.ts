/** A volume as a release uses it: hop3.toml `[[volumes]]`, checked and normalized. */
export interface AppVolume {
  /** A safe name: it names the volume's directory, `<HOP3_HOME>/apps/<app>/volumes/<name>`. */
  readonly name: string;
  /** Where the release sees it: a relative, normalized path inside the release's working directory. */
  readonly target: string;
}

/** The error codes of a `[[volumes]]` entry that cannot be used, as core's catalog names them. */
export type VolumeProblemCode = "VOLUME_NAME_INVALID" | "VOLUME_TARGET_INVALID" | "VOLUME_CONFLICT" | "VOLUME_TYPE_UNSUPPORTED";

/** What is wrong with one entry: its index, the key, and why (the caller adds file and line). */
export interface VolumeProblem {
  readonly index: number;
  readonly key: "name" | "target" | "type";
  readonly code: VolumeProblemCode;
  /** Completes `"volumes.<i>.<key>" ...`. */
  readonly message: string;
  readonly hint?: string;
}

/** An entry as hop3.toml gives it (the schema has checked the types). */
export interface VolumeInput {
  readonly name: string;
  readonly target: string;
  readonly type?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Bytes a file name may have on Linux. */
const MAX_COMPONENT_BYTES = 255;
const MAX_TARGET_BYTES = 1024;

/** Why a target is not a relative, normalized path inside the release, or undefined when it is. */
export function volumeTargetProblem(target: string): string | undefined {
  if (target === "") return "is empty";
  if (target.startsWith("/")) return "is absolute; it must be relative to the app's directory";
  if (/\p{Cc}/u.test(target)) return "holds a control character";
  if (Buffer.byteLength(target) > MAX_TARGET_BYTES) return `is longer than ${MAX_TARGET_BYTES} bytes`;
  const parts = target.split("/");
  if (parts.includes("..")) return "goes up with `..`; it must stay inside the app";
  if (parts.includes(".") || parts.includes("")) return "is not normalized (`.`, `//` or a trailing `/`)";
  if (parts.some((part) => Buffer.byteLength(part) > MAX_COMPONENT_BYTES)) return `has a part longer than ${MAX_COMPONENT_BYTES} bytes`;
  return undefined;
}

/** True when one target is the other or lies inside it (`data` and `data/store`). */
const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/**
 * The first problem of hop3.toml `[[volumes]]`, or undefined: each name safe and unique, each
 * target relative, normalized and inside the release, no target inside another, and no kind but
 * `persist` (a tmpfs or a host bind mount is not something a link can give).
 */
export function findVolumeProblem(entries: readonly VolumeInput[]): VolumeProblem | undefined {
  const hint = 'Write a path inside the app, relative to its directory, such as target = "data/store".';
  for (const [index, entry] of entries.entries()) {
    if (!NAME_PATTERN.test(entry.name)) {
      return { index, key: "name", code: "VOLUME_NAME_INVALID", message: `is ${JSON.stringify(entry.name)}, not a volume name`, hint: "A volume name is 1 to 64 letters, digits, '-' and '_', starting with a letter or digit." };
    }
    const why = volumeTargetProblem(entry.target);
    if (why !== undefined) return { index, key: "target", code: "VOLUME_TARGET_INVALID", message: `${why} (${JSON.stringify(entry.target)})`, hint };
    if (entry.type !== undefined && entry.type !== "persist") {
      return { index, key: "type", code: "VOLUME_TYPE_UNSUPPORTED", message: `is "${entry.type}"; this Hop3 keeps only persistent volumes`, hint: 'Remove the key or write type = "persist": the volume is a directory kept across deploys.' };
    }
    for (const earlier of entries.slice(0, index)) {
      if (earlier.name === entry.name) return { index, key: "name", code: "VOLUME_CONFLICT", message: `names volume "${entry.name}" a second time`, hint: "Give each volume its own name." };
      if (overlaps(earlier.target, entry.target)) {
        return { index, key: "target", code: "VOLUME_CONFLICT", message: `(${entry.target}) overlaps the target of volume "${earlier.name}" (${earlier.target})`, hint: "Give each volume its own target, none inside another." };
      }
    }
  }
  return undefined;
}

/** The volumes of a hop3.toml that passed findVolumeProblem. */
export const toAppVolumes = (entries: readonly VolumeInput[] | undefined): AppVolume[] => (entries ?? []).map(({ name, target }) => ({ name, target }));
