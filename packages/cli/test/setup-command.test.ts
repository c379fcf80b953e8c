import { describe, expect, it } from "vitest";
import { builtInCommands, createCli } from "@hop3/cli";
import { createDistribution, type SystemRequirement } from "@hop3/core";
import { memoryIO } from "./memory-io.js";

// Only what the options name: the plans themselves are @hop3/server-setup's tests.
const requirements: SystemRequirement[] = [
  { id: "docker", program: "docker", debianPackages: ["docker.io"], enables: "apps with a Dockerfile", level: "optional" },
  { id: "go", program: "go", debianPackages: ["golang-go"], enables: "Go apps", level: "opt-in" },
];

describe("hop3 setup's options", () => {
  const plugin = { name: "test/needs", apiVersion: 1, requirements, register: () => {} };
  const cli = createCli(async () => createDistribution({ plugins: [plugin] }), { name: "hop3", version: "0.0.0", commands: builtInCommands });

  it.each([
    [["--with", "nope"], 'this distribution needs no "nope"; known: docker, go'],
    [["--without", "docker,nope"], '--without nope'],
    [["--user", "root; reboot"], '--user "root; reboot" is not a user name'],
  ])("refuses %j as bad usage, before looking at the machine", async (args, message) => {
    const io = memoryIO(process.cwd());
    expect(await cli.run(["setup", "--dry-run", ...args], io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.out()).toBe("");
  });
});
