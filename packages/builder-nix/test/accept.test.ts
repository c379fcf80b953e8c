import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { loadApp } from "@hop3/core";
import { createNixBuilder } from "@hop3/builder-nix";
import { caught, makeApp, tempDir } from "./helpers.js";

/** A directory holding a fake nix-build that leaves a mark if anything runs it. */
function fakeNixBin(): { bin: string; ranMarker: string } {
  const bin = join(tempDir(), "bin");
  mkdirSync(bin);
  const ranMarker = join(bin, "ran");
  writeFileSync(join(bin, "nix-build"), `#!/bin/sh\ntouch ${ranMarker}\n`);
  chmodSync(join(bin, "nix-build"), 0o755);
  return { bin, ranMarker };
}

const accept = (files: Record<string, string>, env: Record<string, string | undefined>, options = {}) =>
  createNixBuilder(options).accept({ app: loadApp(makeApp(files)), toolchains: [], env });

describe("NixBuilder.accept", () => {
  it("accepts an app with hop3.nix when nix-build is on PATH, without running it", async () => {
    const { bin, ranMarker } = fakeNixBin();
    expect(await accept({ "hop3.nix": "{}" }, { PATH: `/nonexistent:${bin}` })).toEqual({ accepted: true, reason: "hop3.nix found" });
    expect(existsSync(ranMarker)).toBe(false);
  });

  it("accepts an app whose hop3.toml asks for the nix builder even before it has a hop3.nix", async () => {
    const { bin } = fakeNixBin();
    expect(await accept({ "hop3.toml": '[build]\nbuilder = "nix"\n' }, { PATH: bin })).toEqual({
      accepted: true,
      reason: 'hop3.toml [build] builder is "nix"',
    });
  });

  it("declines an app without hop3.nix, saying so", async () => {
    expect(await accept({ "package.json": "{}" }, { PATH: fakeNixBin().bin })).toEqual({ accepted: false, reason: "no hop3.nix file found" });
  });

  it("declines, without looking for nix, when hop3.toml chooses another builder", async () => {
    const answer = await accept({ "hop3.nix": "{}", "hop3.toml": '[build]\nbuilder = "docker"\n' }, { PATH: "/nonexistent" });
    expect(answer).toEqual({ accepted: false, reason: 'hop3.nix found, but hop3.toml [build] builder is "docker"' });
  });

  it("raises NIX_NOT_INSTALLED, with an install hint, when hop3.nix is there and nix-build is not on PATH", async () => {
    const error = await caught(() => accept({ "hop3.nix": "{}" }, { PATH: "/nonexistent:/also-not-here" }));
    expect(error.code).toBe("NIX_NOT_INSTALLED");
    expect(error.message).toContain("nix-build was not found on PATH");
    expect(error.hint).toContain("apt-get install nix-bin");
    expect(error.hint).toContain("https://nixos.org");
  });

  it("raises NIX_NOT_INSTALLED when PATH is not set at all", async () => {
    expect((await caught(() => accept({ "hop3.nix": "{}" }, {}))).code).toBe("NIX_NOT_INSTALLED");
  });

  it("does not take a file that is not executable, nor a relative PATH entry", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "nix-build"), "#!/bin/sh\n");
    expect((await caught(() => accept({ "hop3.nix": "{}" }, { PATH: dir }))).code).toBe("NIX_NOT_INSTALLED");
    // The entry does lead to an executable nix-build from the current directory, and is still ignored.
    const relativeBin = relative(process.cwd(), fakeNixBin().bin);
    expect((await caught(() => accept({ "hop3.nix": "{}" }, { PATH: relativeBin }))).code).toBe("NIX_NOT_INSTALLED");
  });

  it("uses the nixBuild option, by absolute path", async () => {
    const { bin } = fakeNixBin();
    expect((await accept({ "hop3.nix": "{}" }, { PATH: "" }, { nixBuild: join(bin, "nix-build") })).accepted).toBe(true);
    const error = await caught(() => accept({ "hop3.nix": "{}" }, { PATH: bin }, { nixBuild: "/opt/nix/bin/nix-build" }));
    expect(error.code).toBe("NIX_NOT_INSTALLED");
    expect(error.message).toContain("/opt/nix/bin/nix-build is not an executable file");
  });
});
