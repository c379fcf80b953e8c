import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadApp } from "@hop3/core";
import { chooseContainerPort, dockerAppSettings, dockerfileInstructions, exposedPorts } from "../src/index.js";

describe("EXPOSE parsing", () => {
  it("reads plain, /tcp and several ports, in order, leaving UDP out", () => {
    expect(exposedPorts("FROM scratch\nEXPOSE 8080/tcp 53/udp 9000\n").tcp).toEqual([8080, 9000]);
  });

  it("follows continuations, comments and lowercase keywords", () => {
    const text = "from scratch\n# EXPOSE 1111\nexpose \\\n  # a comment inside\n  3000 \\\n  3001\n";
    expect(exposedPorts(text).tcp).toEqual([3000, 3001]);
    expect(dockerfileInstructions(text).map((i) => i.keyword)).toEqual(["FROM", "EXPOSE"]);
  });

  it("takes the last stage, or the target, and inherits EXPOSE from a parent stage", () => {
    const text = "FROM scratch AS base\nEXPOSE 7000\nFROM scratch AS other\nEXPOSE 6000\nFROM base AS final\nEXPOSE 7001\n";
    expect(exposedPorts(text).tcp).toEqual([7000, 7001]);
    expect(exposedPorts(text, "other").tcp).toEqual([6000]);
    expect(exposedPorts(text, "BASE").tcp).toEqual([7000]);
    expect(exposedPorts(text, "missing").tcp).toEqual([]);
  });

  it("does not carry EXPOSE of an earlier, unrelated stage", () => {
    expect(exposedPorts("FROM scratch AS build\nEXPOSE 5000\nFROM scratch\nCMD x\n").tcp).toEqual([]);
  });

  it("keeps variables and ranges readable", () => {
    expect(exposedPorts("FROM scratch\nEXPOSE $PORT 8000-8010\n")).toEqual({ tcp: [8000], unresolved: ["$PORT"] });
  });
});

describe("container port", () => {
  const exposed = { tcp: [3000, 4000], unresolved: [] };
  it("prefers hop3.toml [docker] port, then EXPOSE, then the default", () => {
    expect(chooseContainerPort(9000, exposed, 8080)).toEqual({ port: 9000, source: "hop3.toml [docker] port" });
    expect(chooseContainerPort(undefined, exposed, 8080)).toEqual({ port: 3000, source: "EXPOSE" });
    expect(chooseContainerPort(undefined, { tcp: [], unresolved: ["$P"] }, 8080)).toEqual({ port: 8080, source: "default" });
  });
});

describe("the container port hop3.toml names", () => {
  const settingsOf = (toml: string) => {
    const dir = mkdtempSync(join(tmpdir(), "hop3-docker-port-"));
    writeFileSync(join(dir, "hop3.toml"), toml);
    return dockerAppSettings(loadApp(dir, { appName: "app" }));
  };

  it.each([
    ["[docker]\nport = 9000\n", 9000, "hop3.toml [docker] port"],
    ["[port]\nweb = 3000\n", 3000, "hop3.toml [port] web"],
    ["[port.web]\ncontainer = 3001\n", 3001, "hop3.toml [port] web"],
    ["[web]\nport = 2368\n", 2368, "hop3.toml [web] port"],
  ])("reads %j", (toml, port, source) => {
    const settings = settingsOf(toml);
    expect(settings).toMatchObject({ port, portSource: source });
    expect(chooseContainerPort(settings.port, { tcp: [8080], unresolved: [] }, 8080, settings.portSource)).toEqual({ port, source });
  });

  it("leaves the port to EXPOSE when hop3.toml names none", () => {
    expect(settingsOf('[env]\nA = "1"\n').port).toBeUndefined();
  });
});
