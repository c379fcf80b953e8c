import { describe, expect, it } from "vitest";
import { asWriteFailure } from "../src/errors.js";

describe("asWriteFailure", () => {
  const errno = (code: string, syscall: string, path?: string) => Object.assign(new Error(`${code}: something, ${syscall}`), { code, syscall, ...(path && { path }) });

  it("turns a full disk, a read-only mount or a refused write into STATE_WRITE_FAILED naming the file", () => {
    expect(asWriteFailure(errno("ENOSPC", "write"))).toMatchObject({ code: "STATE_WRITE_FAILED", details: { errno: "ENOSPC", syscall: "write" } });
    expect(asWriteFailure(errno("EROFS", "open", "/srv/hop3/apps/blog/lock"))).toMatchObject({
      code: "STATE_WRITE_FAILED",
      message: expect.stringContaining("/srv/hop3/apps/blog/lock"),
      details: { path: "/srv/hop3/apps/blog/lock" },
    });
  });

  it("leaves other errors alone: bugs stay bugs", () => {
    const bug = new TypeError("x is undefined");
    expect(asWriteFailure(bug)).toBe(bug);
    const kill = errno("EPERM", "kill");
    expect(asWriteFailure(kill)).toBe(kill);
    const missing = errno("ENOENT", "open", "/nope");
    expect(asWriteFailure(missing)).toBe(missing);
  });
});
