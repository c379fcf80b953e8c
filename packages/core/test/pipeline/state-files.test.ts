import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listAppRecords, readAppRecord, writeAppRecord } from "../../src/pipeline/app-record.js";
import { listReleases } from "../../src/pipeline/releases.js";
import { caught } from "../helpers.js";

// app.json and releases/<id>.json are Hop3's internal state: read through their zod schemas, never cast.
const home = () => mkdtempSync(join(tmpdir(), "hop3-state-"));
const write = (dir: string, path: string, content: unknown) => {
  mkdirSync(join(dir, path, ".."), { recursive: true });
  writeFileSync(join(dir, path), typeof content === "string" ? content : JSON.stringify(content));
};
const record = { name: "blog", source: "/srv/blog", appEnv: {}, userEnv: { A: "1" }, scale: { web: 2 }, domains: ["blog.example.org"] };

describe("app records", () => {
  it("reads back what was written, and nothing for an app without a record", () => {
    const dir = home();
    const written = writeAppRecord(dir, { ...record, liveRelease: "r1", limits: { memoryBytes: 1024, processes: 10 } });
    expect(readAppRecord(dir, "blog")).toEqual(written);
    expect(readAppRecord(dir, "shop")).toBeUndefined();
    expect(readAppRecord(dir, "../etc")).toBeUndefined();
  });

  it.each([
    ["not JSON", "{ nope", "JSON"],
    ["a value of the wrong type", { ...record, updatedAt: "now", userEnv: { A: 1 } }, "userEnv.A"],
    ["a missing field", { name: "blog", updatedAt: "now" }, "source"],
    ["a negative scale", { ...record, updatedAt: "now", scale: { web: -1 } }, "scale.web"],
    ["another app's record", { ...record, name: "shop", updatedAt: "now" }, 'it names app "shop"'],
  ])("is APP_STATE_CORRUPT naming the file and what is wrong for %s", async (_what, content, why) => {
    const dir = home();
    write(dir, "apps/blog/app.json", content);
    const error = await caught(() => readAppRecord(dir, "blog"));
    expect(error.code).toBe("APP_STATE_CORRUPT");
    expect(error.message).toContain(join(dir, "apps/blog/app.json"));
    expect(error.message).toContain(why);
    expect(error.details).toMatchObject({ app: "blog", file: join(dir, "apps/blog/app.json") });
  });

  it("keeps a record written by another version that has more fields, without them", () => {
    const dir = home();
    write(dir, "apps/blog/app.json", { ...record, updatedAt: "now", futureField: true });
    expect(readAppRecord(dir, "blog")).toEqual({ ...record, updatedAt: "now" });
  });

  it("lists a record that cannot be read as such, not fatal", () => {
    const dir = home();
    writeAppRecord(dir, record);
    write(dir, "apps/shop/app.json", "[]");
    expect(listAppRecords(dir).map((app) => ("corrupt" in app ? [app.name, "corrupt"] : [app.name, "ok"]))).toEqual([
      ["blog", "ok"],
      ["shop", "corrupt"],
    ]);
  });
});

describe("release files", () => {
  it("is APP_STATE_CORRUPT for an unknown status, and BUILD_ARTIFACT_INVALID for a bad artifact", async () => {
    const dir = home();
    const release = { id: "r1", app: "blog", createdAt: "now", source: "/srv/blog", builder: "nix", deployer: "uwsgi", status: "running", artifact: {} };
    write(dir, "apps/blog/releases/r1.json", release);
    const error = await caught(() => listReleases(dir, "blog"));
    expect(error.code).toBe("APP_STATE_CORRUPT");
    expect(error.message).toContain("status");
    write(dir, "apps/blog/releases/r1.json", { ...release, status: "live" });
    expect((await caught(() => listReleases(dir, "blog"))).code).toBe("BUILD_ARTIFACT_INVALID");
  });
});
