import { describe, expect, it } from "vitest";
import { createUwsgiDeployer, DEFAULT_INHERITED_ENV, resolveUwsgiOptions } from "@hop3/deployer-uwsgi";
import { caught } from "./helpers.js";

describe("options", () => {
  it("fill in defaults", () => {
    expect(resolveUwsgiOptions(undefined)).toEqual({
      uwsgi: "uwsgi",
      emperorFrequency: 1,
      startTimeoutSeconds: 30,
      stopTimeoutSeconds: 10,
      drainSeconds: 10,
      beforeRunTimeoutSeconds: 600,
      inheritEnv: [...DEFAULT_INHERITED_ENV],
    });
  });

  it.each([
    [{ emperorFrequency: 0 }, "emperorFrequency"],
    [{ emperorFrequency: 0.5 }, "emperorFrequency"],
    [{ startTimeoutSeconds: -1 }, "startTimeoutSeconds"],
    [{ uwsgi: " " }, "uwsgi"],
    [{ inheritEnv: ["PATH", "NOT VALID"] }, "inheritEnv.1"],
    [{ colour: "blue" }, "colour"],
    // Rotation moved to maintain(), which follows Hop3's config (logs.maxSize): the option is gone, not silently ignored.
    [{ logMaxBytes: 1024 }, "logMaxBytes"],
  ])("are refused at once when invalid (%o)", async (options, key) => {
    const error = await caught(() => createUwsgiDeployer(options as never));
    expect(error.code).toBe("OPTIONS_INVALID");
    expect(error.message).toContain("@hop3/deployer-uwsgi");
    expect(error.message).toContain(`"${key}"`);
  });
});
