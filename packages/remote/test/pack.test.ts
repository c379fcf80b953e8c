import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import tar from "tar-stream";
import { caught } from "@hop3/test-support";
import { packSource, sourceEntries, unpackUpload } from "@hop3/remote";

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "hop3-pack-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const paths = (dir: string) => sourceEntries(dir).map((entry) => entry.path);

describe("what an upload holds", () => {
  it("leaves out .git and what .gitignore files say, the deepest deciding, and .hop3ignore last", () => {
    const dir = tree({
      ".gitignore": "*.log\nnode_modules/\n/dist\n",
      ".hop3ignore": "secret.txt\n!keep.log\n",
      "app.py": "",
      "debug.log": "",
      "keep.log": "",
      "secret.txt": "",
      "dist/bundle.js": "",
      "src/dist/module.py": "",
      "node_modules/x/index.js": "",
      "src/.gitignore": "generated.py\n!important.log\n",
      "src/generated.py": "",
      "src/important.log": "",
      "src/other.log": "",
      ".git/HEAD": "ref: refs/heads/main\n",
    });
    expect(paths(dir)).toEqual([".gitignore", ".hop3ignore", "app.py", "keep.log", "src/", "src/.gitignore", "src/dist/", "src/dist/module.py", "src/important.log"]);
  });

  it("packs files, directories and links as they are, and unpacks them the same", async () => {
    const dir = tree({ "bin/run": "#!/bin/sh\n", "a/b/c.txt": "hello\n" });
    symlinkSync("a/b/c.txt", join(dir, "link"));
    const target = mkdtempSync(join(tmpdir(), "hop3-unpack-"));
    const unpacked = await unpackUpload(packSource(dir), target, 10 * 1024 ** 2);
    expect(unpacked.files).toBe(2);
    expect(readFileSync(join(target, "a/b/c.txt"), "utf8")).toBe("hello\n");
    expect(readlinkSync(join(target, "link"))).toBe("a/b/c.txt");
    // Modification times travel (to the second), so an unchanged file stays unchanged for the builders' copies.
    expect(Math.floor(statSync(join(target, "a/b/c.txt")).mtimeMs / 1000)).toBe(Math.floor(statSync(join(dir, "a/b/c.txt")).mtimeMs / 1000));
  });
});

/** An archive made with tar-stream from these entries, ended properly unless `cut`. */
async function archive(entries: ReadonlyArray<Partial<tar.Header> & { name: string; data?: string }>, cut = false): Promise<Readable> {
  const pack = tar.pack();
  for (const { data, ...header } of entries) pack.entry(header as tar.Header, data ?? "");
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  return Readable.from([cut ? all.subarray(0, all.length - 1024) : all]);
}

describe("unpacking an upload", () => {
  it.each([
    ["a path with ..", [{ name: "../x", data: "x" }]],
    ["an absolute path", [{ name: "/tmp/x", data: "x" }]],
    ["a link out of the tree", [{ name: "l", type: "symlink" as const, linkname: "../../etc/passwd" }]],
    ["an absolute link", [{ name: "l", type: "symlink" as const, linkname: "/etc" }]],
    ["an entry under a link", [{ name: "d", type: "symlink" as const, linkname: "." }, { name: "d/x", data: "x" }]],
    ["a hard link", [{ name: "a", data: "x" }, { name: "b", type: "link" as const, linkname: "a" }]],
    ["a device", [{ name: "dev", type: "character-device" as const }]],
    ["a FIFO", [{ name: "fifo", type: "fifo" as const }]],
  ])("refuses %s", async (_what, entries) => {
    const target = mkdtempSync(join(tmpdir(), "hop3-unpack-"));
    expect((await caught(async () => unpackUpload(await archive(entries), join(target), 1024 ** 2))).code).toBe("UPLOAD_PATH_UNSAFE");
    expect(existsSync(join(target, "..", "x"))).toBe(false);
  });

  it("refuses past the size limit, and an archive cut before its end", async () => {
    const target = mkdtempSync(join(tmpdir(), "hop3-unpack-"));
    expect((await caught(async () => unpackUpload(await archive([{ name: "big", data: "x".repeat(100_000) }]), target, 50_000))).code).toBe("UPLOAD_TOO_LARGE");
    const other = mkdtempSync(join(tmpdir(), "hop3-unpack-"));
    expect((await caught(async () => unpackUpload(await archive([{ name: "a", data: "x" }], true), other, 1024 ** 2))).code).toBe("UPLOAD_INCOMPLETE");
    expect((await caught(async () => unpackUpload(Readable.from([Buffer.alloc(700)]), other, 1024 ** 2))).code).toBe("UPLOAD_INCOMPLETE");
  });

  it("keeps execute bits and drops set-id and group or other write bits", async () => {
    const target = mkdtempSync(join(tmpdir(), "hop3-unpack-"));
    await unpackUpload(await archive([{ name: "run", mode: 0o6777, data: "#!/bin/sh\n" }]), target, 1024 ** 2);
    expect(statSync(join(target, "run")).mode & 0o7777).toBe(0o755);
  });
});
