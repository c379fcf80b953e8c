import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const readme = readFileSync(join(resolve(import.meta.dirname, ".."), "README.md"), "utf8");

describe("the README of @hop3/deployer-uwsgi", () => {
  it("documents every option in its README", () => {
    for (const option of ["uwsgi", "emperorFrequency", "startTimeoutSeconds", "stopTimeoutSeconds", "drainSeconds", "beforeRunTimeoutSeconds", "inheritEnv"]) {
      expect(readme, option).toContain(`| \`${option}\` |`);
    }
  });
});
