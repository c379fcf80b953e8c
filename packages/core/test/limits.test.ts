import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, detectCgroups, formatSize, parseSize, readHop3Config, resolveLimits, toLimits, unenforceableLimits } from "@hop3/core";
import { caught } from "./helpers.js";

describe("sizes", () => {
  it.each<[string | number, number | undefined]>([
    ["512M", 512 * 1024 ** 2],
    ["2G", 2 * 1024 ** 3],
    ["1536k", 1536 * 1024],
    ["1GiB", 1024 ** 3],
    ["100", 100],
    [4096, 4096],
    ["0", undefined],
    ["lots", undefined],
    ["-1G", undefined],
    [1.5, undefined],
  ])("%s is %s bytes", (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it("writes sizes back the way people write them", () => {
    expect(formatSize(512 * 1024 ** 2)).toBe("512M");
    expect(formatSize(3 * 1024 ** 3)).toBe("3G");
    expect(formatSize(1000)).toBe("1000");
  });
});

describe("an app's limits", () => {
  const max = { memoryBytes: 4 * 1024 ** 3, cpus: 2, processes: 1000, openFiles: 65_536 };

  it("are what hop3.toml asks, the server's defaults filling the rest", () => {
    const { limits, notes } = resolveLimits({ memoryBytes: 256 * 1024 ** 2, cpus: 0.5 }, DEFAULT_LIMITS, max);
    expect(limits).toEqual({ memoryBytes: 256 * 1024 ** 2, cpus: 0.5, processes: DEFAULT_LIMITS.processes, openFiles: DEFAULT_LIMITS.openFiles });
    expect(notes).toEqual([]);
  });

  it("never go past the server's maximum, whatever the untrusted hop3.toml asks, and say so", () => {
    const { limits, notes } = resolveLimits({ memoryBytes: 64 * 1024 ** 3, processes: 1_000_000 }, DEFAULT_LIMITS, max);
    expect(limits.memoryBytes).toBe(4 * 1024 ** 3);
    expect(limits.processes).toBe(1000);
    expect(notes).toEqual([
      "The app asks for 64G of memory; this server allows at most 4G, which it gets.",
      "The app asks for 1000000 of processes; this server allows at most 1000, which it gets.",
    ]);
  });

  it("a default above the maximum is lowered too, without a note about the app", () => {
    const { limits, notes } = resolveLimits({}, { processes: 5000 }, max);
    expect(limits).toEqual({ processes: 1000 });
    expect(notes).toEqual([]);
  });

  it("settings that do not parse are reported, not guessed", () => {
    expect(toLimits({ memory: "a lot", cpu: 1 })).toEqual({ limits: { cpus: 1 }, invalid: ['memory "a lot"'] });
  });
});

describe("limits a host cannot enforce are warnings", () => {
  const mounts = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), "hop3-mounts-")), "mounts");
    writeFileSync(file, text);
    return file;
  };

  it("reads v1 controllers from their own mounts (this machine's shape)", () => {
    const support = detectCgroups(
      mounts(
        [
          "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
          "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0",
          "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
          "cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0",
          "cgroup2 /nonexistent/unified cgroup2 rw,relatime 0 0",
        ].join("\n"),
      ),
    );
    expect(support.controllers).toEqual({
      memory: { version: "v1", mount: "/sys/fs/cgroup/memory" },
      pids: { version: "v1", mount: "/sys/fs/cgroup/pids" },
      cpu: { version: "v1", mount: "/sys/fs/cgroup/cpu,cpuacct" },
    });
    expect(support.unified).toBe("/nonexistent/unified");
  });

  it("names each limit that has no controller to enforce it", () => {
    const support = detectCgroups(mounts("cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n"));
    const warnings = unenforceableLimits({ memoryBytes: 1024 ** 3, processes: 100, openFiles: 1024, cpus: 1 }, { ...support, writable: true });
    expect(warnings).toEqual([
      "The memory limit (1G) is not enforced: this host has no memory cgroup controller.",
      "The cpu limit (1 core(s)) is not enforced: this host has no cpu cgroup controller.",
    ]);
  });

  it("without root, no cgroup limit is enforced, and each is said", () => {
    const support = detectCgroups(mounts("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n"));
    expect(unenforceableLimits({ memoryBytes: 1024 ** 3 }, { ...support, writable: false })).toEqual([
      "The memory limit (1G) is not enforced: Hop3 does not run as root, so it cannot create cgroups.",
    ]);
  });
});

describe("Hop3's config file", () => {
  const configFile = (content: string) => {
    const file = join(mkdtempSync(join(tmpdir(), "hop3-config-")), "config.json");
    writeFileSync(file, content);
    return file;
  };

  it("has defaults when there is none", () => {
    const config = readHop3Config({ HOP3_CONFIG: "/nonexistent/hop3.json" });
    expect(config.file).toBeUndefined();
    expect(config.plugins).toEqual([]);
    expect(config.limits).toEqual(DEFAULT_LIMITS);
    expect(config.logs).toEqual({ maxBytes: 10 * 1024 ** 2, keep: 3, appCapBytes: 100 * 1024 ** 2 });
    expect(config.maxLimits.processes).toBe(4096);
  });

  it("reads plugins, limits, the maximum and log settings", () => {
    const file = configFile(JSON.stringify({ plugins: ["hop3-plugin-x"], limits: { memory: "256M", cpu: 0.5 }, maxLimits: { memory: "2G" }, logs: { maxSize: "1M", keep: 5, appCap: 20_000_000 } }));
    const config = readHop3Config({ HOP3_CONFIG: file });
    expect(config.file).toBe(file);
    expect(config.plugins).toEqual(["hop3-plugin-x"]);
    expect(config.limits).toEqual({ ...DEFAULT_LIMITS, memoryBytes: 256 * 1024 ** 2, cpus: 0.5 });
    expect(config.maxLimits.memoryBytes).toBe(2 * 1024 ** 3);
    expect(config.logs).toEqual({ maxBytes: 1024 ** 2, keep: 5, appCapBytes: 20_000_000 });
  });

  it("is found under XDG_CONFIG_HOME", () => {
    const dir = mkdtempSync(join(tmpdir(), "hop3-xdg-"));
    const file = configFile('{"plugins": ["a"]}');
    expect(readHop3Config({ XDG_CONFIG_HOME: dir }).file).toBeUndefined();
    expect(readHop3Config({ HOP3_CONFIG: file, XDG_CONFIG_HOME: dir }).plugins).toEqual(["a"]);
  });

  it.each([
    ["{ not json", "is not valid JSON"],
    ['{"limits": {"memmory": "1G"}}', 'has an unknown key "limits.memmory"'],
    ['{"limits": {"memory": "lots"}}', 'has "limits.memory" must be a size'],
    ['{"logs": {"keep": -1}}', 'has "logs.keep"'],
    ['{"plugin": []}', 'has an unknown key "plugin"'],
  ])("%s is HOP3_CONFIG_INVALID naming the key", async (content, message) => {
    const file = configFile(content);
    const error = await caught(() => readHop3Config({ HOP3_CONFIG: file }));
    expect(error.code).toBe("HOP3_CONFIG_INVALID");
    expect(error.message).toContain(file);
    expect(error.message).toContain(message);
  });
});
