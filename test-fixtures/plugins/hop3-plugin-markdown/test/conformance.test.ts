import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createDistribution, Hop3Error } from "@hop3/core";
import { describeBuilderConformance } from "@hop3/testing";
import { createMarkdownBuilder, markdownPlugin } from "../src/index.js";

// The same kit a third-party author runs: the contract, against real directories.
const apps = join(import.meta.dirname, "../../../plugin-apps");
describeBuilderConformance(createMarkdownBuilder(), {
  fixtures: {
    accepted: [join(apps, "markdown-handbook")],
    declined: [join(apps, "markdown-empty")],
  },
});

it("renders every page, with links to .md pages pointing at their .html", async () => {
  const home = mkdtempSync(join(tmpdir(), "hop3-markdown-"));
  const hop3 = createDistribution({ plugins: [markdownPlugin({ siteTitle: "Docs" })], env: { ...process.env, HOP3_HOME: home } });
  const plan = await hop3.plan(join(apps, "markdown-handbook"));
  expect(plan.builder).toMatchObject({ name: "markdown", reason: "index.md found" });
  const artifact = await hop3.build(plan);
  expect(artifact).toMatchObject({ kind: "static", builder: "markdown", metadata: { pages: 2 } });
  const index = readFileSync(join(artifact.location, "index.html"), "utf8");
  expect(index).toContain("<title>Handbook - Docs</title>");
  expect(index).toContain('<a href="guide/start.html">guide</a>');
  expect(readFileSync(join(artifact.location, "guide/start.html"), "utf8")).toContain("<pre><code>hop3 deploy .</code></pre>");
});

it("validates its options at once", () => {
  const error = (() => {
    try {
      markdownPlugin({ priority: -1 });
    } catch (e) {
      return e;
    }
  })();
  expect(Hop3Error.is(error) && error.code).toBe("OPTIONS_INVALID");
});
