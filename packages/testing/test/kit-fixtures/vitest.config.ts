import { defineConfig } from "vitest/config";

const conditions = ["@hop3/source", "import", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@hop3/source"] } },
  test: { root: import.meta.dirname, include: ["*.suite.ts"] },
});
