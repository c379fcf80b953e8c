import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadApp } from "@hop3/core";
import createNixBuilderDefault, { createNixBuilder, nixPlugin, resolveNixOptions } from "@hop3/builder-nix";
import { absoluteInclude } from "../src/options.js";
import { APP_NIX_SETTINGS } from "../src/app-settings.js";
import { buildSettings, nixArguments, resolveSearchPath, serverNixPath, splitNixPath } from "../src/settings.js";
import { caught, makeApp, tempDir } from "./helpers.js";

describe("builder options", () => {
  it("has the documented defaults", () => {
    expect(resolveNixOptions(undefined)).toEqual({
      nixBuild: "nix-build",
      nixInstantiate: "nix-instantiate",
      nixStore: "nix-store",
      nix: "nix",
      nixDaemon: "nix-daemon",
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
  const appWith = (toml: string, files: Record<string, string> = {}) => loadApp(makeApp({ "hop3.nix": "{}", "hop3.toml": toml, ...files }));
  const COPY = "/h/apps/demo-app/nix/src/demo-app";
  const settingsOf = (toml: string, options = {}) => buildSettings(appWith(toml), resolveNixOptions(options), COPY);
  const argsOf = (toml: string, options = {}) => nixArguments(settingsOf(toml, options));

  it("restricts evaluation to the copy of the sources and the search path; the builder's entries and options win", () => {
    const app = appWith('[nix]\ninclude = ["nixpkgs=./vendor/nixpkgs"]\noptions = { max-jobs = "1", cores = "2" }\ntimeout = 30\n');
    const settings = buildSettings(app, resolveNixOptions({ include: ["nixpkgs=/srv/pinned"], options: { cores: "4" } }), COPY);
    expect(settings.cwd).toBe(COPY);
    expect(nixArguments(settings)).toEqual([
      "--option",
      "restrict-eval",
      "true",
      "-I",
      "nixpkgs=/srv/pinned",
      "-I",
      `nixpkgs=${COPY}/vendor/nixpkgs`,
      "-I",
      `hop3-app=${COPY}`,
      "--option",
      "max-jobs",
      "1",
      "--option",
      "cores",
      "4",
    ]);
    expect(settings.copiedIncludes).toEqual([{ entry: "nixpkgs=./vendor/nixpkgs", path: `${COPY}/vendor/nixpkgs` }]);
    expect(settings.timeoutMs).toBe(30_000);
  });

  it("uses the builder's time limit when hop3.toml sets none", () => {
    expect(settingsOf("", { timeoutSeconds: 0.5 }).timeoutMs).toBe(500);
  });

  it.each(APP_NIX_SETTINGS)("lets an app set %s", (name) => {
    const value = name === "allowed-uris" ? "https://example.org/" : "1";
    expect(argsOf(`[nix]\noptions = { ${name} = "${value}" }\n`).slice(-3)).toEqual(["--option", name, value]);
  });

  it.each([
    "allow-unsafe-native-code-during-evaluation",
    "restrict-eval",
    "sandbox",
    "extra-sandbox-paths",
    "pre-build-hook",
    "post-build-hook",
    "build-users-group",
    "extra-plugin-files",
    "builders",
    "substituters",
    "extra-allowed-uris",
    "trusted-users",
  ])("refuses hop3.toml [nix] options %s, naming it and the allowed ones (NIX_OPTION_NOT_ALLOWED)", async (name) => {
    const error = await caught(() => settingsOf(`[nix]\noptions = { ${name} = "true" }\n`));
    expect(error.code).toBe("NIX_OPTION_NOT_ALLOWED");
    expect(error.message).toContain(`"${name}"`);
    expect(error.message).toContain("max-jobs, max-silent-time");
    expect(error.hint).toContain("cores");
    expect(error.details).toMatchObject({ option: name, allowed: APP_NIX_SETTINGS });
  });

  it("lets an app's allowed-uris hold http(s) prefixes only", async () => {
    expect(argsOf('[nix]\noptions = { allowed-uris = "https://github.com/NixOS/ http://example.org/x" }\n')).toContain("https://github.com/NixOS/ http://example.org/x");
    for (const value of ["file:///etc", "/etc", "https://ok.org/ file:///"]) {
      const error = await caught(() => settingsOf(`[nix]\noptions = { allowed-uris = "${value}" }\n`));
      expect(error.code).toBe("NIX_OPTION_NOT_ALLOWED");
      expect(error.hint).toContain("http:// and https://");
    }
  });

  it("lets the server set any setting in the builder's options, after Hop3's restrict-eval", () => {
    expect(argsOf("", { options: { "post-build-hook": "/srv/upload.sh", "restrict-eval": "false" } }).slice(-6)).toEqual(["--option", "post-build-hook", "/srv/upload.sh", "--option", "restrict-eval", "false"]);
  });

  it("passes URL, channel: and /nix/store entries of the app as they are", () => {
    const entries = ["nixpkgs=https://example.org/nixpkgs.tar.gz", "nixpkgs=channel:nixos-23.11", "git://example.org/x", "x=/nix/store/xvhnvkqhp0aagb60bq83vq9f54brf0w3-nixpkgs"];
    const settings = settingsOf(`[nix]\ninclude = ${JSON.stringify(entries)}\n`);
    expect(settings.searchPath).toEqual([...entries, `hop3-app=${COPY}`]);
    expect(settings.copiedIncludes).toEqual([]);
  });

  it.each(["/etc", "nixpkgs=/etc", "../..", "nixpkgs=../../nixpkgs-stand-in", "x=file:///etc", "nixpkgs=", "/nix/storefront"])(
    "refuses the app's include %j, outside the app and the store (NIX_INCLUDE_NOT_ALLOWED)",
    async (entry) => {
      const error = await caught(() => settingsOf(`[nix]\ninclude = [${JSON.stringify(entry)}]\n`));
      expect(error.code).toBe("NIX_INCLUDE_NOT_ALLOWED");
      expect(error.message).toContain(`"${entry}"`);
      expect(error.details.entry).toBe(entry);
    },
  );

  it("names an include inside the app by its place in the copy, absolute or relative", () => {
    const dir = makeApp({ "hop3.nix": "{}" });
    writeFileSync(join(dir, "hop3.toml"), `[nix]\ninclude = ["a=${dir}/vendor", "b=sub/../vendor", "${dir}"]\n`);
    const settings = buildSettings(loadApp(dir), resolveNixOptions({}), COPY);
    expect(settings.searchPath).toEqual([`a=${COPY}/vendor`, `b=${COPY}/vendor`, COPY, `hop3-app=${COPY}`]);
  });

  it("refuses, once the sources are copied, an include that is a link out of the app", async () => {
    const copy = makeApp({ "vendor/ok/default.nix": "{}" });
    symlinkSync("/etc", join(copy, "etc-link"));
    symlinkSync("ok", join(copy, "vendor", "inner-link"));
    const app = appWith('[nix]\ninclude = ["a=./vendor/inner-link", "b=./etc-link", "c=./missing"]\n');
    const settings = buildSettings(app, resolveNixOptions({}), copy);
    const error = await caught(() => resolveSearchPath(app, settings));
    expect(error.code).toBe("NIX_INCLUDE_NOT_ALLOWED");
    expect(error.message).toContain(`${join(app.dir, "etc-link")} is a link to /etc`);
  });

  it("gives every path of the search path as its real path once copied, since restricted evaluation checks real paths", () => {
    const base = tempDir();
    const copy = join(base, "copy");
    mkdirSync(join(copy, "vendor", "ok"), { recursive: true });
    symlinkSync("ok", join(copy, "vendor", "link"));
    symlinkSync(copy, join(base, "copy-link"));
    symlinkSync(join(copy, "vendor", "ok"), join(base, "server-lib"));
    const app = appWith('[nix]\ninclude = ["a=./vendor/link", "c=./missing", "x=https://example.org/x.tar.gz"]\n');
    const settings = resolveSearchPath(app, buildSettings(app, resolveNixOptions({ include: [`lib=${join(base, "server-lib")}`] }), join(base, "copy-link")));
    expect(settings.cwd).toBe(copy);
    expect(settings.searchPath).toEqual([
      `lib=${join(copy, "vendor", "ok")}`,
      `a=${join(copy, "vendor", "ok")}`,
      `c=${join(base, "copy-link", "missing")}`,
      "x=https://example.org/x.tar.gz",
      `hop3-app=${copy}`,
    ]);
  });
});

describe("the server's search path", () => {
  it.each([
    ["nixpkgs=/a:/b", ["nixpkgs=/a", "/b"]],
    ["nixpkgs=https://example.org/n.tar.gz:foo=/x", ["nixpkgs=https://example.org/n.tar.gz", "foo=/x"]],
    ["nixpkgs=channel:nixos-23.11:/b", ["nixpkgs=channel:nixos-23.11", "/b"]],
    ["https://example.org/n.tar.gz", ["https://example.org/n.tar.gz"]],
    ["", []],
    ["::/a:", ["/a"]],
  ])("splits NIX_PATH %j as Nix does", (value, entries) => {
    expect(splitNixPath(value)).toEqual(entries);
  });

  it("resolves NIX_PATH's links (a channel is a link into the store), and keeps what is not a path", () => {
    const base = tempDir();
    mkdirSync(join(base, "real"));
    symlinkSync(join(base, "real"), join(base, "channel"));
    expect(serverNixPath({ NIX_PATH: `nixpkgs=${join(base, "channel")}:channel:nixos:${join(base, "missing")}` }, undefined)).toBe(
      `nixpkgs=${join(base, "real")}:channel:nixos:${join(base, "missing")}`,
    );
    expect(serverNixPath({ NIX_PATH: "" }, undefined)).toBe("");
  });

  it("without NIX_PATH, is Nix's default: Hop3's own channels and root's, those that exist, resolved", () => {
    const home = tempDir();
    const state = tempDir();
    mkdirSync(join(home, ".nix-defexpr"));
    mkdirSync(join(state, "real-channels", "nixpkgs"), { recursive: true });
    mkdirSync(join(state, "profiles", "per-user", "root"), { recursive: true });
    symlinkSync(join(state, "real-channels"), join(state, "profiles", "per-user", "root", "channels"));
    symlinkSync(join(state, "profiles", "per-user", "root", "channels"), join(home, ".nix-defexpr", "channels"));
    const real = join(state, "real-channels");
    expect(serverNixPath({ NIX_STATE_DIR: state }, home)).toBe(`${real}:nixpkgs=${join(real, "nixpkgs")}:${real}`);
    expect(serverNixPath({ NIX_STATE_DIR: tempDir() }, tempDir())).toBe("");
  });
});
