// Finds every packages/*/bench/*.bench.ts (or the files given), runs them, prints one table.
import { readdirSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { formatResults, runSuite, type BenchResult, type BenchSuite } from "./index.ts";

const root = resolve(import.meta.dirname, "..", "..", "..");

function discover(): string[] {
  const files: string[] = [];
  for (const group of ["packages", "apps"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const pkg of readdirSync(base)) {
      const dir = join(base, pkg, "bench");
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir)) if (file.endsWith(".bench.ts")) files.push(join(dir, file));
    }
  }
  return files.sort();
}

const filter = process.argv.slice(2);
const files = discover().filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)));
const results: BenchResult[] = [];
const notes: string[] = [];
for (const file of files) {
  const suite = (await import(pathToFileURL(file).href)).default as BenchSuite;
  process.stderr.write(`running ${suite.name} (${file.slice(root.length + 1)})\n`);
  const outcome = await runSuite(suite);
  results.push(...outcome.results);
  notes.push(...outcome.notes);
}
console.log(formatResults(results));
if (notes.length > 0) console.log(`\n${notes.map((note) => `- ${note}`).join("\n")}`);
