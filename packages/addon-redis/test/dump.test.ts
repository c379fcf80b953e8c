import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DumpWriter, parseDump, type DumpRecord } from "../src/dump.js";
import { caught } from "./helpers.js";

describe("the per-instance dump format", () => {
  const dir = mkdtempSync(join(tmpdir(), "hop3-redis-dump-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const records: DumpRecord[] = [
    { key: Buffer.from("plain"), expireAt: -1, payload: Buffer.from([0, 1, 2, 255]) },
    { key: Buffer.from("binary\r\n\0key"), expireAt: 1_900_000_000_123, payload: Buffer.alloc(3000, 7) },
    { key: Buffer.alloc(0), expireAt: -1, payload: Buffer.alloc(0) },
  ];

  function write(name: string, content: readonly DumpRecord[]): { file: string; bytes: number } {
    const file = join(dir, name);
    const writer = new DumpWriter(file);
    for (const record of content) writer.add(record);
    return { file, bytes: writer.finish() };
  }

  it("reads back what it wrote, and reports the file's size; no temporary file is left", () => {
    const { file, bytes } = write("whole.dump", records);
    const content = readFileSync(file);
    expect(bytes).toBe(content.length);
    expect(parseDump(content, file)).toEqual(records);
    expect(parseDump(readFileSync(write("empty.dump", []).file), "empty")).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
  });

  it("refuses every truncation and every flipped byte", async () => {
    const content = readFileSync(write("checked.dump", records.slice(0, 2)).file);
    for (let length = 0; length < content.length; length += 7) {
      expect((await caught(() => parseDump(content.subarray(0, length), "f"))).code).toBe("REDIS_DUMP_INVALID");
    }
    for (let at = 0; at < content.length; at += 13) {
      const damaged = Buffer.from(content);
      damaged[at]! ^= 0x01;
      expect((await caught(() => parseDump(damaged, "f"))).code).toBe("REDIS_DUMP_INVALID");
    }
    expect((await caught(() => parseDump(Buffer.concat([content, Buffer.from("x")]), "f"))).code).toBe("REDIS_DUMP_INVALID");
  });

  it("abandon leaves nothing behind", () => {
    const writer = new DumpWriter(join(dir, "abandoned.dump"));
    writer.add(records[0]!);
    writer.abandon();
    expect(readdirSync(dir).filter((name) => name.includes("abandoned"))).toEqual([]);
  });
});
