import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rotateInPlace } from "../../src/host/logs.js";
import { LogFollower } from "../../src/pipeline/worker-logs.js";

// Real files, rotated by core's own rotateInPlace (copy the tail to <log>.1, truncate in place), as
// the uWSGI deployer's maintenance does while a worker keeps appending.
const logFile = (content = "") => {
  const path = join(mkdtempSync(join(tmpdir(), "hop3-follow-")), "web.1.log");
  writeFileSync(path, content);
  return path;
};
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i} ${"x".repeat(40)}`);
const append = (path: string, text: readonly string[]) => appendFileSync(path, text.map((line) => `${line}\n`).join(""));

describe("LogFollower", () => {
  it("gives what is appended after it starts, complete lines only", () => {
    const path = logFile("before\n");
    const follower = new LogFollower(path);
    expect(follower.poll()).toEqual([]);
    appendFileSync(path, "one\ntw");
    expect(follower.poll()).toEqual(["one"]);
    appendFileSync(path, "o\n");
    expect(follower.poll()).toEqual(["two"]);
  });

  it("loses no line when the log is rotated in place between two polls, whether it shrank or grew back past the position", () => {
    const path = logFile(lines(1, 50).join("\n") + "\n");
    const follower = new LogFollower(path);
    append(path, lines(51, 60));
    expect(follower.poll()).toEqual(lines(51, 60));

    // Written, not read yet, rotated, then a little more: the file is smaller than the position.
    append(path, lines(61, 65));
    expect(rotateInPlace(path, { maxBytes: 1000, keep: 2 })).toBe(true);
    append(path, lines(66, 67));
    expect(follower.poll()).toEqual(lines(61, 67));

    // Rotated again, and refilled past the position before the next poll: same size or larger.
    append(path, lines(68, 70));
    expect(rotateInPlace(path, { maxBytes: 200, keep: 2 })).toBe(true);
    append(path, lines(71, 140));
    expect(follower.poll()).toEqual(lines(68, 140));
    append(path, lines(141, 141));
    expect(follower.poll()).toEqual(lines(141, 141));
  });

  it("shows the rotation's own line when what was not read yet did not fit in the copy, and repeats nothing", () => {
    const path = logFile(lines(1, 10).join("\n") + "\n");
    const follower = new LogFollower(path);
    append(path, lines(11, 40)); // about 1.5 KB, of which the copy keeps the last 200 bytes
    expect(rotateInPlace(path, { maxBytes: 200, keep: 1 })).toBe(true);
    append(path, lines(41, 42));
    const seen = follower.poll();
    expect(seen[0]).toMatch(/^\[hop3\] \d+ earlier bytes of this log were dropped/);
    expect(seen.slice(-6)).toEqual([...lines(37, 40), ...lines(41, 42)]);
    expect(seen.filter((line) => line.startsWith("line 1 ") || line.startsWith("line 10 "))).toEqual([]);
  });

  it("goes on after a log emptied without a copy (capped) or removed, from its start", () => {
    const path = logFile("a\n");
    const follower = new LogFollower(path);
    truncateSync(path, 0);
    append(path, ["after the cap"]);
    expect(follower.poll()).toEqual(["after the cap"]);
    rmSync(path);
    expect(follower.poll()).toEqual([]);
    append(path, ["a new file"]);
    expect(follower.poll()).toEqual(["a new file"]);
  });

  it("keeps a line cut in two by a rotation whole", () => {
    const path = logFile(lines(1, 30).join("\n") + "\n");
    const follower = new LogFollower(path);
    appendFileSync(path, "half of a ");
    expect(follower.poll()).toEqual([]);
    expect(rotateInPlace(path, { maxBytes: 100, keep: 1 })).toBe(true);
    appendFileSync(path, "line\nnext\n");
    expect(follower.poll()).toEqual(["half of a line", "next"]);
  });
});
