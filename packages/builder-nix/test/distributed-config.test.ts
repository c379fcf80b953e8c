import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNixSection, updateNixConfig } from "../src/distributed/config.js";
import { builderLines, realiseOptions, sshSettings } from "../src/distributed/realise.js";
import { caught } from "./helpers.js";

const KEY = "server-a-1:aeJotL1zpqCAJRJoOoVBxa02A1PrAR5s/n8GCOUHOw8=";

describe("the nix section of Hop3's config", () => {
  it("fills in defaults: no builders, fallback local, no cache, no trusted keys", () => {
    expect(parseNixSection({}, "/c.json")).toEqual({ builders: { machines: [], fallback: "local" }, trustedKeys: [] });
  });

  it.each([
    ["a builder URI that would add a second builder", { builders: { machines: [{ uri: "ssh://a@b c" }] } }, "nix.builders.machines.0.uri"],
    ["a builder URI with a shell in it", { builders: { machines: [{ uri: "ssh://root@host;rm -rf /" }] } }, "nix.builders.machines.0.uri"],
    ["a builder URI with ssh options", { builders: { machines: [{ uri: "ssh://-oProxyCommand=x" }] } }, "nix.builders.machines.0.uri"],
    ["a cache that would add a substituter", { cache: "file:///srv/cache https://evil.example" }, "nix.cache"],
    ["a relative cache", { cache: "file://srv/cache" }, "nix.cache"],
    ["a key with a space", { trustedKeys: [`${KEY} other:key`] }, "nix.trustedKeys.0"],
    ["a relative ssh key", { builders: { machines: [{ uri: "ssh://a@b", sshKey: "id_rsa" }] } }, "nix.builders.machines.0.sshKey"],
    ["an unknown key", { substituters: "x" }, "nix.substituters"],
    ["an unknown fallback", { builders: { fallback: "retry" } }, "nix.builders.fallback"],
  ])("refuses %s with NIX_CONFIG_INVALID naming the key", async (_what, raw, key) => {
    const error = await caught(() => parseNixSection(raw, "/c.json"));
    expect(error.code).toBe("NIX_CONFIG_INVALID");
    expect(error.details.key).toBe(key);
  });

  it("writes the section back with the file's other keys kept, and only what was set", () => {
    const file = join(mkdtempSync(join(tmpdir(), "hop3-nixcfg-")), "config.json");
    writeFileSync(file, JSON.stringify({ plugins: ["x"], logs: { keep: 2 } }), { mode: 0o640 });
    updateNixConfig({ HOP3_CONFIG: file }, (config) => ({ ...config, cache: "file:///srv/cache", trustedKeys: [KEY] }));
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ plugins: ["x"], logs: { keep: 2 }, nix: { cache: "file:///srv/cache", trustedKeys: [KEY] } });
  });

  it("refuses to write a value that does not validate, and leaves the file as it was", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "hop3-nixcfg-")), "config.json");
    writeFileSync(file, "{}");
    const error = await caught(() => updateNixConfig({ HOP3_CONFIG: file }, (config) => ({ ...config, cache: "file:///a b" })));
    expect(error.code).toBe("NIX_CONFIG_INVALID");
    expect(readFileSync(file, "utf8")).toBe("{}");
  });
});

describe("what Nix is given", () => {
  const machine = { uri: "ssh://nix@build1", systems: ["x86_64-linux", "aarch64-linux"], maxJobs: 4, sshKey: "/root/.ssh/b", hostKey: "ssh-ed25519 AAAAC3" };

  it("writes Nix's machine lines, with the host key base64-encoded and - for defaults", () => {
    expect(builderLines([machine, { uri: "ssh-ng://b2", systems: [], maxJobs: 1 }])).toBe(
      `ssh://nix@build1 x86_64-linux,aarch64-linux /root/.ssh/b 4 - - - ${Buffer.from("ssh-ed25519 AAAAC3").toString("base64")};ssh-ng://b2 - - 1 - - - -`,
    );
  });

  it("never builds here with fallback fail, and keeps signatures required", () => {
    const config = parseNixSection({ builders: { machines: [machine], fallback: "fail" }, cache: "file:///c" }, undefined);
    const options = realiseOptions(config, [KEY], builderLines(config.builders.machines));
    expect(options.join(" ")).toContain("--option require-sigs true");
    expect(options.join(" ")).toContain("--max-jobs 0");
    expect(options.join(" ")).toContain("--option extra-substituters file:///c");
    expect(options.join(" ")).toContain(`--option extra-trusted-public-keys ${KEY}`);
    expect(realiseOptions({ ...config, builders: { ...config.builders, fallback: "local" } }, [], "x").join(" ")).not.toContain("--max-jobs");
  });

  it("gives ssh a config of Hop3's only for builders on another port, and batch mode always", () => {
    const plain = sshSettings([machine]);
    expect(plain.env.NIX_SSHOPTS).toBe("-o BatchMode=yes -o ConnectTimeout=10");
    const ported = sshSettings([{ ...machine, port: 2222 }]);
    try {
      const file = ported.env.NIX_SSHOPTS!.split(" ")[1]!;
      expect(readFileSync(file, "utf8")).toContain("Host build1\n  Port 2222\n  HostKeyAlias build1\n");
    } finally {
      ported.cleanup();
    }
  });
});
