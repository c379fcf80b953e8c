import { findProgram, Hop3Error, type AcceptContext, type ArtifactPreview } from "@hop3/core";
import { selectToolchains } from "./builder.js";
import type { ResolvedLocalOptions } from "./options.js";
import { toolMissing } from "./toolchains/shared.js";

/**
 * What a Local build will produce and refuse, said before it runs (Builder.preview): the app's
 * declared workers (the toolchains may add defaults), and LOCAL_TOOL_MISSING for each program a
 * selected toolchain declares (`programs`) that is not on the build's PATH (the builder's `env`
 * option, else Hop3's). A toolchain that cannot be chosen is the build's own error, raised now.
 */
export async function previewBuild(context: AcceptContext, settings: ResolvedLocalOptions): Promise<ArtifactPreview> {
  const { app } = context;
  const selected = await selectToolchains(app, context.toolchains);
  const path = settings.env.PATH ?? context.env.PATH ?? "";
  const problems: Hop3Error[] = [];
  for (const { toolchain } of selected) {
    for (const program of toolchain.programs ?? []) {
      if (findProgram(program.name, { PATH: path }) === undefined) problems.push(toolMissing(app.name, toolchain.name, program, path));
    }
  }
  return { workers: { ...app.config.workers }, problems };
}
