import { describe, expect, it } from "vitest";
import { loadApp } from "@hop3/core";
import createNixBuilderDefault, { createNixBuilder, nixPlugin, resolveNixOptions } from "@hop3/builder-nix";
import { absoluteInclude } from "../src/options.js";
import { buildSettings } from "../src/settings.js";
import { caught, makeApp } from "./helpers.js";

describe("builder options", () => {
  it("has the documented defaults", () => {
    expect(resolveNixOptions(undefined)).toEqual({
      nixBuild: "nix-build",
      nixInstantiate: "nix-instantiate",
      nixStore: "nix-store",
      timeoutSeconds: 1800,
      include: [],
      options: {},
      gcRoots: true,
      priority: 10,
    });
  });

  it("is the package's default export, and the plugin is named after the package", () => {
    expect(createNixBuilderDefault).toBe(createNixBuilder);
    const builder = createNixBuilder();
    expect(builder).toMatchObject({ apiVersion: 1, name: "nix", priority: 10, usesToolchains: false });
    expect(nixPlugin()).toMatchObject({ name: "@hop3/builder-nix", apiVersion: 1, version: "0.1.0" });
  });

  it.each([
    [{ timeoutSeconds: -1 }, "timeoutSeconds"],
    [{ timeoutSeconds: "60" }, "timeoutSeconds"],
    [{ nixBuild: "" }, "nixBuild"],
    [{ nixStore: "./bin/nix-store" }, "nixStore"],
    [{ include: "nixpkgs=/x" }, "include"],
    [{ options: { "Max Jobs": "2" } }, "options.Max Jobs"],
    [{ gcRoots: "yes" }, "gcRoots"],
  ])("refuses %j at once, naming the option (OPTIONS_INVALID)", async (options, key) => {
    const error = await caught(() => createNixBuilder(options as never));
    expect(error.code).toBe("OPTIONS_INVALID");
    expect(error.message).toContain(`Option "${key}" of @hop3/builder-nix`);
  });

  it("refuses an option it does not have, naming it", async () => {
    const error = await caught(() => createNixBuilder({ timeout: 60 } as never));
    expect(error.code).toBe("OPTIONS_INVALID");
    expect(error.message).toContain('"timeout"');
    expect(error.details.key).toBe("timeout");
  });

  it("validates the plugin's options when the plugin is made", async () => {
    expect((await caught(() => nixPlugin({ priority: 1.5 }))).code).toBe("OPTIONS_INVALID");
  });

  it("makes relative include paths absolute against the current directory, leaving URLs alone", () => {
    expect(resolveNixOptions({ include: ["nixpkgs=vendor/nixpkgs", "/abs", "rel"] }, "/srv/hop3").include).toEqual([
      "nixpkgs=/srv/hop3/vendor/nixpkgs",
      "/abs",
      "/srv/hop3/rel",
    ]);
    expect(absoluteInclude("nixpkgs=https://example.org/nixpkgs.tar.gz", "/x")).toBe("nixpkgs=https://example.org/nixpkgs.tar.gz");
    expect(absoluteInclude("nixpkgs=channel:nixos-22.05", "/x")).toBe("nixpkgs=channel:nixos-22.05");
  });
});

describe("nix arguments from hop3.toml [nix] and the builder options", () => {
  const appWith = (toml: string) => loadApp(makeApp({ "hop3.nix": "{}", "hop3.toml": toml }));

  it("passes -I entries relative to the app directory and --option pairs; the builder's win", () => {
    const app = appWith('[nix]\ninclude = ["nixpkgs=../stand-in"]\noptions = { max-jobs = "1", cores = "2" }\ntimeout = 30\n');
    const settings = buildSettings(app, resolveNixOptions({ include: ["nixpkgs=/srv/pinned"], options: { cores: "4" } }));
    expect(settings.cwd).toBe(app.dir);
    expect(settings.extraArgs).toEqual([
      "-I",
      "nixpkgs=/srv/pinned",
      "-I",
      `nixpkgs=${app.dir.replace(/\/[^/]+$/, "")}/stand-in`,
      "--option",
      "max-jobs",
      "1",
      "--option",
      "cores",
      "4",
    ]);
    expect(settings.timeoutMs).toBe(30_000);
  });

  it("uses the builder's time limit when hop3.toml sets none", () => {
    expect(buildSettings(appWith(""), resolveNixOptions({ timeoutSeconds: 0.5 })).timeoutMs).toBe(500);
  });

  it.each(["pre-build-hook", "post-build-hook", "build-users-group", "extra-plugin-files"])(
    "refuses hop3.toml [nix] options %s, which would run programs as the Hop3 user (NIX_OPTION_NOT_ALLOWED)",
    async (name) => {
      const error = await caught(() => buildSettings(appWith(`[nix]\noptions = { ${name} = "/tmp/x" }\n`), resolveNixOptions({})));
      expect(error.code).toBe("NIX_OPTION_NOT_ALLOWED");
      expect(error.message).toContain(`"${name}"`);
    },
  );

  it("lets the server set those settings in the builder's options", () => {
    const settings = buildSettings(appWith(""), resolveNixOptions({ options: { "post-build-hook": "/srv/upload.sh" } }));
    expect(settings.extraArgs).toEqual(["--option", "post-build-hook", "/srv/upload.sh"]);
  });
});
