import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockApp } from "../../src/pipeline/lock.js";

describe("lockApp", () => {
  const home = () => mkdtempSync(join(tmpdir(), "hop3-lock-"));

  it("lets one command change an app at a time, naming the holder", () => {
    const dir = home();
    const unlock = lockApp(dir, "blog", "deploy", { create: true });
    expect(() => lockApp(dir, "blog", "restart")).toThrowError(/blog is being changed by `hop3 deploy` \(pid \d+/);
    unlock();
    lockApp(dir, "blog", "restart", { create: true })();
  });

  it("does not block other apps", () => {
    const dir = home();
    const unlock = lockApp(dir, "blog", "deploy", { create: true });
    lockApp(dir, "shop", "deploy", { create: true })();
    unlock();
  });

  it("takes over a lock whose process is gone", () => {
    const dir = home();
    lockApp(dir, "blog", "deploy", { create: true }); // never released, as after a crash...
    writeFileSync(join(dir, "apps", "blog", "lock"), JSON.stringify({ pid: 2 ** 22 + 12345, command: "deploy", since: "then" }));
    lockApp(dir, "blog", "deploy", { create: true })();
  });

  it("writes nothing for an app that is not there, or a name that is not a name", () => {
    const dir = home();
    for (const name of ["nope", "../escape", "a/b", ".."]) {
      expect(() => lockApp(dir, name, "start")).toThrowError(/There is no app named/);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
