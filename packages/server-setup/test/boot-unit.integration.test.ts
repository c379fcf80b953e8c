import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findProgram } from "@hop3/core";
import { describeInstall, renderBootUnit, type Hop3Install } from "../src/index.js";

// The unit `hop3 setup` writes, checked by systemd's own parser: `systemd-analyze verify` loads it
// as systemd would and reports every unknown or malformed setting (it needs no systemd running).
// CI gets Debian's systemd package from scripts/setup.sh; a machine without it gets it here.
beforeAll(() => {
  if (findProgram("systemd-analyze", process.env) !== undefined) return;
  expect(process.getuid?.(), "systemd-analyze is missing, and installing it needs root").toBe(0);
  execFileSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "systemd"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, stdio: "ignore", timeout: 300_000 });
}, 300_000);

function verify(install: Hop3Install): Promise<{ code: number; output: string; unit: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hop3-unit-"));
  const unit = renderBootUnit(install);
  writeFileSync(join(dir, install.unitName), unit);
  return new Promise((resolve) =>
    execFile("systemd-analyze", ["verify", "--man=no", join(dir, install.unitName)], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}`.trim(), unit }),
    ),
  );
}

describe("the boot unit, verified by systemd-analyze", () => {
  const script = join(mkdtempSync(join(tmpdir(), "hop3 install %s $HOME ")), "bin.js");
  mkdirSync(join(script, ".."), { recursive: true });
  writeFileSync(script, "");

  it.each([
    ["the default home, with settings", describeInstall([process.execPath, "/usr/lib/node_modules/@hop3/cli/dist/bin.js"], { HOME: "/root", HOP3_HTTP_PORT: "80", HOP3_BIND_ADDRESS: "0.0.0.0", DOCKER_HOST: "unix:///run/docker.sock" })],
    ["a home of its own, run from source with flags", describeInstall([process.execPath, "--import", "file:///opt/hop3/node_modules/tsx/dist/loader.mjs", "--conditions=@hop3/source", "/opt/hop3/packages/cli/src/bin.ts"], { HOP3_HOME: "/srv/hop3 staging", HOME: "/root", HOP3_USER_PREFIX: "stg" })],
    ["paths with spaces, % and $, under /tmp", describeInstall([process.execPath, script], { HOP3_HOME: "/tmp/hop3 100% $HOME", HOP3_CONFIG: "/etc/hop3/config.json" })],
  ])("%s: no warning, no error", async (_what, install) => {
    const result = await verify(install);
    expect(result.code, `${result.output}\n${result.unit}`).toBe(0);
    expect(result.output, result.unit).toBe("");
  });

  it("would report a setting systemd does not know (the check can fail)", async () => {
    const install = describeInstall([process.execPath, script], { HOME: "/root" });
    const dir = mkdtempSync(join(tmpdir(), "hop3-unit-"));
    writeFileSync(join(dir, install.unitName), renderBootUnit(install).replace("ProtectProc=invisible", "ProtectProc=everything"));
    const output = await new Promise<string>((resolve) => execFile("systemd-analyze", ["verify", "--man=no", join(dir, install.unitName)], (_error, stdout, stderr) => resolve(`${stdout}${stderr}`)));
    expect(output).toContain("Failed to parse /proc/ protection mode");
  });
});
