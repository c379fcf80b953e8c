/** What the Dockerfile says about the ports of the stage that becomes the image. */
export interface ExposedPorts {
  /** TCP ports of the final stage (or of `target`), in the order EXPOSE lists them. */
  readonly tcp: readonly number[];
  /** EXPOSE arguments that could not be read as a port (`$PORT`, `${X:-80}`): the engine expands them, Hop3 does not. */
  readonly unresolved: readonly string[];
}

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/**
 * Splits a Dockerfile into instructions: comment lines dropped, `\` continuations joined (the default
 * escape character; a `# escape=` directive is not followed). Good enough to read FROM and EXPOSE;
 * the engine remains the judge of validity.
 */
export function dockerfileInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#")) continue; // comments may sit inside a continued instruction
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = "";
    if (whole === "") continue;
    const match = /^(\S+)\s*(.*)$/.exec(whole)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
  }
  if (pending.trim() !== "") {
    const match = /^(\S+)\s*(.*)$/.exec(pending.trim())!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
  }
  return instructions;
}

/**
 * The ports EXPOSEd by the stage that becomes the image: `target` when given, else the last stage.
 * A stage built `FROM` an earlier stage inherits its EXPOSE lines, as the engine does. UDP ports are
 * left out (the proxy speaks HTTP); a range gives its first port.
 */
export function exposedPorts(text: string, target?: string): ExposedPorts {
  const stages: { name?: string; tcp: number[]; unresolved: string[] }[] = [];
  for (const { keyword, args } of dockerfileInstructions(text)) {
    if (keyword === "FROM") {
      const words = args.split(/\s+/).filter((word) => !word.startsWith("--"));
      const base = words[0]?.toLowerCase();
      const name = words.length >= 3 && words[1]!.toUpperCase() === "AS" ? words[2]!.toLowerCase() : undefined;
      const parent = stages.findLast((stage) => stage.name !== undefined && stage.name === base);
      stages.push({ ...(name !== undefined && { name }), tcp: [...(parent?.tcp ?? [])], unresolved: [...(parent?.unresolved ?? [])] });
      continue;
    }
    if (keyword !== "EXPOSE") continue;
    if (stages.length === 0) stages.push({ tcp: [], unresolved: [] });
    const stage = stages.at(-1)!;
    for (const word of args.split(/\s+/).filter(Boolean)) {
      const match = /^(\d+)(?:-\d+)?(?:\/(tcp|udp|sctp))?$/i.exec(word);
      if (!match) {
        stage.unresolved.push(word);
        continue;
      }
      const port = Number(match[1]);
      const protocol = (match[2] ?? "tcp").toLowerCase();
      if (protocol === "tcp" && port >= 1 && port <= 65535 && !stage.tcp.includes(port)) stage.tcp.push(port);
    }
  }
  const chosen = target === undefined ? stages.at(-1) : stages.find((stage) => stage.name === target.toLowerCase());
  return { tcp: chosen?.tcp ?? [], unresolved: chosen?.unresolved ?? [] };
}

/** Where the container port came from, for the build log and the artifact's metadata. */
export type PortSource = ConfiguredPortSource | "EXPOSE" | "default";
/** The hop3.toml keys that name the container port (core's `AppConfig.containerPort.source`). */
export type ConfiguredPortSource = "hop3.toml [docker] port" | "hop3.toml [port] web" | "hop3.toml [web] port";

/**
 * The container port: the one hop3.toml names ([docker] port, [port] web or [web] port), else the
 * first EXPOSEd TCP port, else the default.
 */
export function chooseContainerPort(
  configured: number | undefined,
  exposed: ExposedPorts,
  defaultPort: number,
  configuredSource: ConfiguredPortSource = "hop3.toml [docker] port",
): { port: number; source: PortSource } {
  if (configured !== undefined) return { port: configured, source: configuredSource };
  const first = exposed.tcp[0];
  if (first !== undefined) return { port: first, source: "EXPOSE" };
  return { port: defaultPort, source: "default" };
}
