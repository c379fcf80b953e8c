import { describe, expect, it } from "vitest";
import { imageReference, releaseTag } from "../src/index.js";

describe("image tag", () => {
  it("is hop3/<app>:<release>, lowercased", () => {
    expect(imageReference("myapp", "20261125T145510Z-Ab12")).toBe("hop3/myapp:20261125t145510z-ab12");
  });

  it("replaces what Docker refuses in a tag and keeps it under 128 characters", () => {
    expect(releaseTag("-.a b/c:d")).toBe("a-b-c-d");
    expect(releaseTag("x".repeat(200))).toHaveLength(128);
    expect(releaseTag("...")).toBe("latest");
    expect(releaseTag("r_1.2")).toMatch(/^[a-z0-9_][a-z0-9_.-]{0,127}$/);
  });
});
