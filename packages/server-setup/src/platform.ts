/** The operating system, from /etc/os-release: what decides whether setup can use apt. */
export interface Platform {
  /** `ID` (e.g. "debian", "ubuntu", "fedora"); "unknown" without /etc/os-release. */
  readonly id: string;
  /** `ID_LIKE`, split (e.g. ["debian"] on Ubuntu, Mint...). */
  readonly idLike: readonly string[];
  /** `PRETTY_NAME`, for messages. */
  readonly name: string;
  readonly versionId?: string;
  /** Debian or a derivative: the one family setup installs packages on (with apt). */
  readonly debianFamily: boolean;
}

/** Reads os-release(5) text: KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string | undefined): Platform {
  const fields = new Map<string, string>();
  for (const line of (text ?? "").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const raw = match[2]!.trim();
    const value = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1).replace(/\\(["$`\\])/g, "$1") : raw;
    fields.set(match[1]!, value);
  }
  const id = (fields.get("ID") ?? "unknown").toLowerCase();
  const idLike = (fields.get("ID_LIKE") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const versionId = fields.get("VERSION_ID");
  return {
    id,
    idLike,
    name: fields.get("PRETTY_NAME") ?? fields.get("NAME") ?? (text === undefined ? "an unknown system (no /etc/os-release)" : id),
    ...(versionId !== undefined && { versionId }),
    debianFamily: [id, ...idLike].some((name) => name === "debian" || name === "ubuntu"),
  };
}
