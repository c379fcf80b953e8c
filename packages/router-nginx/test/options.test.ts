import { describe, expect, it } from "vitest";
import { createNginxRouter } from "../src/router.js";
import { resolveNginxSettings, settingsForHome } from "../src/options.js";
import { caught } from "./helpers.js";

describe("router options", () => {
  it("defaults to 127.0.0.1:8080 (8443 for HTTPS, no HSTS), nginx on PATH, one worker per core", () => {
    expect(resolveNginxSettings(undefined, {}, false)).toEqual({
      httpPort: 8080,
      httpsPort: 8443,
      hstsMaxAge: 0,
      bindAddress: "127.0.0.1",
      nginx: "nginx",
      user: undefined,
      asRoot: false,
      workerProcesses: "auto",
      reloadTimeoutMs: 10_000,
    });
  });

  it("takes HOP3_HTTP_PORT and HOP3_BIND_ADDRESS from the environment, and options win over them", () => {
    const env = { HOP3_HTTP_PORT: "9090", HOP3_BIND_ADDRESS: "0.0.0.0" };
    expect(resolveNginxSettings({}, env, false)).toMatchObject({ httpPort: 9090, bindAddress: "0.0.0.0" });
    expect(resolveNginxSettings({ httpPort: 7000, bindAddress: "::1" }, env, false)).toMatchObject({ httpPort: 7000, bindAddress: "::1" });
  });

  it("takes HOP3_HTTPS_PORT and HOP3_HSTS_MAX_AGE from the environment, and options win over them", () => {
    expect(resolveNginxSettings({}, { HOP3_HTTPS_PORT: "443", HOP3_HSTS_MAX_AGE: "31536000" }, false)).toMatchObject({ httpsPort: 443, hstsMaxAge: 31_536_000 });
    expect(resolveNginxSettings({ httpsPort: 9443, hstsMaxAge: 0 }, { HOP3_HTTPS_PORT: "443", HOP3_HSTS_MAX_AGE: "60" }, false)).toMatchObject({ httpsPort: 9443, hstsMaxAge: 0 });
  });

  it("as root, leaves the workers' user to the home (its web user) unless the user option names one", () => {
    const scope = { home: "/nonexistent/hop3-home", env: {} };
    expect(resolveNginxSettings({}, {}, true)).toMatchObject({ user: undefined, asRoot: true });
    const named = resolveNginxSettings({ user: "www-data" }, {}, true);
    expect(settingsForHome(named, scope).user).toBe("www-data");
  });

  it("writes no worker user when Hop3 is not root, whatever the options say", () => {
    const settings = resolveNginxSettings({ user: "www-data" }, {}, false);
    expect(settings.user).toBeUndefined();
    expect(settingsForHome(settings, { home: "/nonexistent/hop3-home", env: {} }).user).toBeUndefined();
  });

  it.each([
    [{ HOP3_HTTP_PORT: "80a" }, "HOP3_HTTP_PORT"],
    [{ HOP3_HTTP_PORT: "70000" }, "HOP3_HTTP_PORT"],
    [{ HOP3_BIND_ADDRESS: "localhost; evil" }, "HOP3_BIND_ADDRESS"],
    [{ HOP3_HTTPS_PORT: "443a" }, "HOP3_HTTPS_PORT"],
    [{ HOP3_HSTS_MAX_AGE: "1y" }, "HOP3_HSTS_MAX_AGE"],
  ])("refuses the environment %j with OPTIONS_INVALID naming the variable", async (env, name) => {
    const error = await caught(() => resolveNginxSettings({}, env, false));
    expect(error.code).toBe("OPTIONS_INVALID");
    expect(error.message).toContain(name);
  });

  it.each([
    [{ httpPort: 0 }, "httpPort"],
    [{ bindAddress: "example.org" }, "bindAddress"],
    [{ user: "root; daemon off" }, "user"],
    [{ nginx: " " }, "nginx"],
    [{ colour: "blue" }, "colour"],
  ])("refuses the options %j where the router is created", async (options, key) => {
    const error = await caught(() => createNginxRouter(options as never, {}));
    expect(error.code).toBe("OPTIONS_INVALID");
    expect(error.message).toContain(key);
  });

  it("gives each app a URL on its own .localhost name", () => {
    expect(createNginxRouter({ httpPort: 8080 }).urlFor("blog")).toBe("http://blog.localhost:8080/");
    expect(createNginxRouter({ httpPort: 80 }).urlFor("blog")).toBe("http://blog.localhost/");
  });
});
