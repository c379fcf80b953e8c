import { defineConfig } from "vitest/config";

// Tests run against the TypeScript sources (the "@hop3/source" export condition): no build step.
const conditions = ["@hop3/source", "import", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@hop3/source"] } },
  test: {
    globalSetup: ["./vitest.global-setup.ts"],
    // Integration tests mostly wait on real processes (nix-build, uWSGI, nginx, Docker): on a 2-core
    // machine, four files at a time finish in about half the time of one file per core. Files share
    // no state: each has its own HOP3_HOME, ports, users and cgroups.
    maxWorkers: 4,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // Some unit tests start a shell or the CLI itself; beside four integration files, that can take seconds.
          testTimeout: 20_000,
          include: ["packages/*/{src,test}/**/*.test.ts", "apps/*/{src,test}/**/*.test.ts", "test-fixtures/plugins/*/test/**/*.test.ts", "tools/release-check/test/**/*.test.ts", "tools/create-plugin/test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.integration.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["packages/*/{src,test}/**/*.integration.test.ts", "apps/*/{src,test}/**/*.integration.test.ts", "tools/release-check/test/**/*.integration.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // No binary cache is reachable from these machines; without this every first Nix build
          // spends seconds retrying it.
          env: { NIX_CONFIG: "substituters =\n" },
        },
      },
    ],
  },
});
