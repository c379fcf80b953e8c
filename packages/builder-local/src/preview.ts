import { findProgram, procfileEntryKind, type AcceptContext, type ArtifactPreview, type Hop3Error, type LanguageToolchain } from "@hop3/core";
import { selectToolchains } from "./builder.js";
import type { ResolvedLocalOptions } from "./options.js";
import { toolMissing } from "./toolchains/shared.js";

/**
 * What a Local build will produce and refuse, said before it runs (Builder.preview): the app's
 * declared workers (the toolchains may add defaults), and LOCAL_TOOL_MISSING for each program
 * that is not on the build's PATH (the builder's `env` option, else Hop3's) and that the build
 * cannot bring: one a selected toolchain declares (`programs`), or one a worker's command starts
 * that some toolchain declares (`web: go run server.go` needs go). A toolchain that cannot be
 * chosen is the build's own error, raised now.
 */
export async function previewBuild(context: AcceptContext, settings: ResolvedLocalOptions): Promise<ArtifactPreview> {
  const { app } = context;
  const selected = await selectToolchains(app, context.toolchains);
  const path = settings.env.PATH ?? context.env.PATH ?? "";
  const problems: Hop3Error[] = [];
  const reported = new Set<string>();
  const need = (toolchain: LanguageToolchain, name: string) => {
    const program = toolchain.programs?.find((p) => p.name === name);
    if (!program || reported.has(name) || findProgram(name, { PATH: path }) !== undefined) return;
    reported.add(name);
    problems.push(toolMissing(app.name, toolchain.name, program, path));
  };
  for (const { toolchain } of selected) for (const program of toolchain.programs ?? []) need(toolchain, program.name);
  for (const [worker, command] of Object.entries(app.config.workers)) {
    // Not commands: a directory the router serves, an app uWSGI loads itself.
    if (worker === "static" || (procfileEntryKind(worker) === "http" && worker !== "web")) continue;
    const program = firstProgram(command);
    const declaring = program === undefined ? undefined : context.toolchains.find((t) => t.programs?.some((p) => p.name === program));
    if (declaring) need(declaring, program!);
  }
  return { workers: { ...app.config.workers }, problems };
}

/** The program a shell command starts, when it is a plain name after any `NAME=value` assignments; undefined otherwise. */
function firstProgram(command: string): string | undefined {
  const words = command.trim().split(/\s+/);
  const first = words.find((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
  return first !== undefined && /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/.test(first) ? first : undefined;
}
