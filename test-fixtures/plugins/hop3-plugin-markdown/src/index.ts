import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { z } from "zod";
import { defineErrors, definePlugin, parseOptions, type BuildArtifact, type Builder, type Hop3Plugin } from "@hop3/core";
import { renderMarkdown } from "./render.js";

const PLUGIN = "hop3-plugin-markdown";
/** The page that marks an app as a Markdown site. */
const MARKER = "index.md";
/** Directories never rendered: they are not pages. */
const SKIPPED = new Set(["node_modules", ".git", ".hop3"]);

/** This plugin's own codes; each has a section in the README. */
export const { catalog: markdownErrorCatalog, error: markdownError } = defineErrors({
  MARKDOWN_INDEX_MISSING: {
    title: "The markdown builder was chosen but the app has no index.md",
    hint: 'Add an index.md at the top of the app, or remove `builder = "markdown"` from hop3.toml [build].',
  },
  MARKDOWN_PAGE_UNREADABLE: {
    title: "A Markdown page could not be read",
    hint: "Check that every .md file of the app is a readable UTF-8 text file.",
  },
  MARKDOWN_BUILD_CANCELLED: {
    title: "The Markdown build was cancelled",
    hint: "Nothing to do: the build was cancelled on request; run it again when ready.",
  },
});

const OptionsSchema = z
  .object({
    /** Shown in every page's <title>; default: the app name. */
    siteTitle: z.string().min(1).max(200).optional(),
    /** Asked before Local (30) by default, after Nix (10) and Docker (20). */
    priority: z.number().int().min(0).max(1000).default(25),
  })
  .strict();

export type MarkdownPluginOptions = z.input<typeof OptionsSchema>;
type Settings = z.output<typeof OptionsSchema>;

function findPages(dir: string, root = dir): string[] {
  const pages: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (SKIPPED.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) pages.push(...findPages(path, root));
    else if (name.endsWith(".md")) pages.push(relative(root, path));
  }
  return pages;
}

/** The builder: renders every `.md` page of the app into `<appStateDir>/markdown/<releaseId>/`. */
export function createMarkdownBuilder(options?: MarkdownPluginOptions): Builder {
  const settings: Settings = parseOptions(OptionsSchema, options, PLUGIN);
  return {
    apiVersion: 1,
    name: "markdown",
    description: "Renders a directory of Markdown pages into a static site",
    priority: settings.priority,
    usesToolchains: false,

    // Looks only: it runs on every plan, for every app.
    accept: ({ app }) =>
      existsSync(join(app.dir, MARKER)) ? { accepted: true, reason: `${MARKER} found` } : { accepted: false, reason: `no ${MARKER}` },

    async build(context): Promise<BuildArtifact> {
      const { app, signal } = context;
      const cancelled = () => markdownError("MARKDOWN_BUILD_CANCELLED", `The Markdown build of "${app.name}" was cancelled.`);
      if (signal.aborted) throw cancelled();
      if (!existsSync(join(app.dir, MARKER))) {
        throw markdownError("MARKDOWN_INDEX_MISSING", `${app.dir} has no ${MARKER}.`, { details: { dir: app.dir } });
      }
      const out = join(context.appStateDir, "markdown", context.releaseId);
      try {
        mkdirSync(out, { recursive: true });
        const pages = findPages(app.dir);
        for (const page of pages) {
          if (signal.aborted) throw cancelled();
          let source: string;
          try {
            source = readFileSync(join(app.dir, page), "utf8");
          } catch (error) {
            throw markdownError("MARKDOWN_PAGE_UNREADABLE", `${join(app.dir, page)} could not be read: ${(error as Error).message}`, { cause: error, details: { page } });
          }
          const { html } = renderMarkdown(source, page.replace(/\.md$/, ""), settings.siteTitle ?? app.name);
          const target = join(out, page.replace(/\.md$/, ".html"));
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, html);
          context.logger.info(`rendered ${page}`);
        }
        return {
          apiVersion: 1,
          kind: "static",
          location: out,
          builder: "markdown",
          appName: app.name,
          buildId: context.releaseId,
          builtAt: new Date().toISOString(),
          metadata: { pages: pages.length },
          runtime: { workers: { static: out }, env: {}, path: [], workingDir: out },
        };
      } catch (error) {
        // A failed or cancelled build leaves nothing behind.
        rmSync(out, { recursive: true, force: true });
        throw error;
      }
    },

    async discard(artifact) {
      rmSync(artifact.location, { recursive: true, force: true });
    },
  };
}

/** The plugin factory, as run-time loading (Hop3's config file `plugins`, HOP3_PLUGINS) calls it. */
export function markdownPlugin(options?: MarkdownPluginOptions): Hop3Plugin {
  const builder = createMarkdownBuilder(options);
  return definePlugin({
    name: PLUGIN,
    apiVersion: 1,
    version: "0.1.0",
    description: "Renders Markdown pages into a static site, served by the static deployer",
    register(registry) {
      registry.addBuilder(builder);
    },
  });
}

export { markdownPlugin as hop3Plugin, markdownPlugin as default };
