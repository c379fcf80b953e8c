/**
 * hop3.toml [[volumes]]: which names and targets are refused (escapes, unnormalized paths,
 * duplicates, overlaps), and what the plan refuses before anything is built: a builder whose
 * releases cannot take a link, a link or a file the app ships on the way to a target, files at it.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findVolumeProblem, Hop3Error, loadApp, selectBuilder, volumeTargetProblem, type Builder } from "@hop3/core";

describe("volume targets", () => {
  it.each([
    ["data/store", undefined],
    ["store", undefined],
    [".hidden/x", undefined],
    ["a..b/c", undefined],
    ["", "is empty"],
    ["/etc", "is absolute"],
    ["/", "is absolute"],
    ["..", "`..`"],
    ["../../x", "`..`"],
    ["a/../../b", "`..`"],
    ["a/..", "`..`"],
    [".", "not normalized"],
    ["./data", "not normalized"],
    ["a/./b", "not normalized"],
    ["a//b", "not normalized"],
    ["data/", "not normalized"],
    ["a\nb", "control character"],
    ["a\u0000b", "control character"],
    [`${"x".repeat(256)}/y`, "longer than 255 bytes"],
    ["a/".repeat(600) + "a", "longer than 1024 bytes"],
  ])("%j: %s", (target, problem) => {
    const found = volumeTargetProblem(target);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe("[[volumes]] entries", () => {
  const problem = (...entries: Array<{ name: string; target: string; type?: string }>) => findVolumeProblem(entries);

  it("accepts distinct names and targets side by side", () => {
    expect(problem({ name: "store", target: "data/store" }, { name: "uploads", target: "data/uploads" }, { name: "cache", target: "datax", type: "persist" })).toBeUndefined();
  });

  it.each([
    ["a name with a slash", [{ name: "a/b", target: "x" }], { index: 0, key: "name", code: "VOLUME_NAME_INVALID" }],
    ["a name of dots", [{ name: "..", target: "x" }], { index: 0, key: "name", code: "VOLUME_NAME_INVALID" }],
    ["an empty name", [{ name: "", target: "x" }], { index: 0, key: "name", code: "VOLUME_NAME_INVALID" }],
    ["a name of 65 characters", [{ name: "a".repeat(65), target: "x" }], { index: 0, key: "name", code: "VOLUME_NAME_INVALID" }],
    ["a target escaping the release", [{ name: "a", target: "../../x" }], { index: 0, key: "target", code: "VOLUME_TARGET_INVALID" }],
    ["an absolute target", [{ name: "a", target: "/etc" }], { index: 0, key: "target", code: "VOLUME_TARGET_INVALID" }],
    ["a name twice", [{ name: "a", target: "x" }, { name: "a", target: "y" }], { index: 1, key: "name", code: "VOLUME_CONFLICT" }],
    ["a target twice", [{ name: "a", target: "x" }, { name: "b", target: "x" }], { index: 1, key: "target", code: "VOLUME_CONFLICT" }],
    ["a target inside another", [{ name: "a", target: "data" }, { name: "b", target: "data/b" }], { index: 1, key: "target", code: "VOLUME_CONFLICT" }],
    ["a target around another", [{ name: "a", target: "data/a" }, { name: "b", target: "data" }], { index: 1, key: "target", code: "VOLUME_CONFLICT" }],
    ["a tmpfs", [{ name: "a", target: "x", type: "tmpfs" }], { index: 0, key: "type", code: "VOLUME_TYPE_UNSUPPORTED" }],
    ["a bind mount", [{ name: "a", target: "x", type: "bind" }], { index: 0, key: "type", code: "VOLUME_TYPE_UNSUPPORTED" }],
  ])("refuses %s", (_what, entries, expected) => {
    expect(problem(...entries)).toMatchObject(expected);
  });
});

describe("the plan of an app with volumes", () => {
  const root = mkdtempSync(join(tmpdir(), "hop3-volumes-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const builder = (name: string, workingDirPerRelease?: boolean): Builder => ({
    apiVersion: 1,
    name,
    usesToolchains: false,
    ...(workingDirPerRelease !== undefined && { workingDirPerRelease }),
    accept: () => ({ accepted: true, reason: "always" }),
    build: () => Promise.reject(new Error("not built here")),
  });
  let count = 0;
  const app = (prepare: (dir: string) => void = () => {}) => {
    const dir = join(root, `app${++count}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "hop3.toml"), '[[volumes]]\nname = "store"\ntarget = "data/store"\n');
    prepare(dir);
    return loadApp(dir);
  };
  const plan = (source: ReturnType<typeof app>, builders = [builder("local", true)]) => selectBuilder({ app: source, builders, toolchains: () => [], env: {} });
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(Hop3Error.is(error), String(error)).toBe(true);
    return error as Hop3Error;
  };

  it("passes with a builder that makes a directory per release, whatever the sources hold on the way", async () => {
    await expect(plan(app())).resolves.toMatchObject({ builder: { name: "local" } });
    await expect(plan(app((dir) => mkdirSync(join(dir, "data"))))).resolves.toBeTruthy();
    await expect(plan(app((dir) => mkdirSync(join(dir, "data", "store"), { recursive: true })))).resolves.toBeTruthy();
    await expect(
      plan(
        app((dir) => {
          mkdirSync(join(dir, "data", "store"), { recursive: true });
          writeFileSync(join(dir, "data", "store", ".gitkeep"), "");
        }),
      ),
    ).resolves.toBeTruthy();
  });

  it("refuses a builder whose releases are not Hop3's to change (a /nix/store path, an image)", async () => {
    for (const builders of [[builder("nix")], [builder("docker", false)]]) {
      const error = await refusal(plan(app(), builders));
      expect(error.code).toBe("VOLUMES_UNSUPPORTED");
      expect(error.message).toContain(`builder "${builders[0]!.name}"`);
    }
  });

  it("refuses a link the app ships on the way to the target, to /etc or to another app", async () => {
    for (const to of ["/etc", join(root, "neighbour")]) {
      const error = await refusal(plan(app((dir) => symlinkSync(to, join(dir, "data")))));
      expect(error.code).toBe("VOLUME_TARGET_UNSAFE");
      expect(error.message).toContain(`a link to ${to}`);
    }
  });

  it("refuses a file on the way to the target", async () => {
    const error = await refusal(plan(app((dir) => writeFileSync(join(dir, "data"), "x"))));
    expect(error.code).toBe("VOLUME_TARGET_UNSAFE");
  });

  it("refuses files, a link or a directory with content at the target", async () => {
    const cases: Array<(dir: string) => void> = [
      (dir) => {
        mkdirSync(join(dir, "data"));
        writeFileSync(join(dir, "data", "store"), "x");
      },
      (dir) => {
        mkdirSync(join(dir, "data"));
        symlinkSync("/etc", join(dir, "data", "store"));
      },
      (dir) => {
        mkdirSync(join(dir, "data", "store"), { recursive: true });
        writeFileSync(join(dir, "data", "store", "db.sqlite"), "x");
      },
    ];
    for (const prepare of cases) expect((await refusal(plan(app(prepare)))).code).toBe("VOLUME_TARGET_OCCUPIED");
  });
});
