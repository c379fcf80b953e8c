import { describe, expect, it } from "vitest";
import { Hop3Error, normalizeConfig, selectBuilder, type Builder } from "@hop3/core";

// A deploy of a store path built elsewhere (`hop3 deploy --store-path`): the plan asks no builder
// about the app and chooses, by what builders have, the first that takes prebuilt store paths.
const builder = (name: string, prebuilt: boolean): Builder => ({
  apiVersion: 1,
  name,
  usesToolchains: false,
  accept: () => ({ accepted: true, reason: "would build anything" }),
  build: () => Promise.reject(new Error("never built")),
  ...(prebuilt && { usePrebuilt: () => Promise.reject(new Error("not asked by the plan")) }),
});
const storePath = "/nix/store/0c0vm2iv6mx1cwh8sxh6kq5ybfhqqlgy-nix-web";
const app = { dir: storePath, name: "web", config: normalizeConfig({}, { entries: [] }) };

describe("the plan of a prebuilt store path", () => {
  it("chooses the first builder with usePrebuilt, whatever accept() would say, and carries the path", async () => {
    const plan = await selectBuilder({ app, builders: [builder("docker", false), builder("nix", true), builder("other", true)], toolchains: () => [], storePath, env: {} });
    expect(plan.builder).toEqual({ name: "nix", reason: "prebuilt store path", explicit: true });
    expect(plan.prebuilt).toBe(storePath);
    expect(plan.candidates.map((c) => [c.name, c.accepted])).toEqual([
      ["docker", false],
      ["nix", true],
      ["other", true],
    ]);
  });

  it("is BUILDER_NONE_ACCEPTED when no builder takes store paths", async () => {
    const refused = await selectBuilder({ app, builders: [builder("local", false)], toolchains: () => [], storePath, env: {} }).catch((error: unknown) => error);
    expect(Hop3Error.is(refused) && refused.code).toBe("BUILDER_NONE_ACCEPTED");
  });
});
