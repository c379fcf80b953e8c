// Writes docs/schemas/*.json from the TypeBox schemas the validators use (test: schemas.test.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PUBLISHED_SCHEMAS, renderSchema } from "@hop3/core";

const dir = join(import.meta.dirname, "..", "docs", "schemas");
mkdirSync(dir, { recursive: true });
for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
  writeFileSync(join(dir, file), renderSchema(schema));
  console.log(`wrote docs/schemas/${file}`);
}
