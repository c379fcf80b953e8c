import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addRemote, chosenRemote, earlyTarget, parseRemoteUrl, remotesFile } from "@hop3/remote";

function envWithRemotes(): Record<string, string> {
  const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "hop3-early-")) };
  addRemote(env, "prod", "ssh://root@prod.example.com");
  addRemote(env, "staging", "ssh://deploy@staging.example.com:2222");
  return env;
}

describe("earlyTarget: the server a command goes to, told before Hop3's modules load", () => {
  it("is the one chosenRemote chooses: --remote, else HOP3_REMOTE, else the default outside an SSH session", () => {
    const env = envWithRemotes();
    const cases: Array<[string[], Record<string, string>]> = [
      [["deploy", "."], {}],
      [["status", "blog", "--remote", "staging"], {}],
      [["logs", "blog", "--remote=staging", "-f"], {}],
      [["apps"], { HOP3_REMOTE: "staging" }],
      [["apps", "--remote", "prod"], { HOP3_REMOTE: "staging" }],
      [["apps", "--remote", "prod"], { SSH_CONNECTION: "10.0.0.1 5 10.0.0.2 22" }],
    ];
    for (const [argv, extra] of cases) {
      const at = argv.indexOf("--remote");
      const option = at >= 0 ? argv[at + 1] : argv.find((word) => word.startsWith("--remote="))?.slice(9);
      const chosen = chosenRemote({ ...env, ...extra }, option);
      expect(earlyTarget(argv, { ...env, ...extra }), argv.join(" ")).toEqual(parseRemoteUrl(chosen!.url));
    }
    expect(earlyTarget(["run", "blog", "--remote", "staging", "--", "ls", "--remote", "prod"], env)).toEqual({ user: "deploy", host: "staging.example.com", port: 2222 });
  });

  it("is nothing for a command that stays here, or that it cannot tell cheaply: the command then says what is wrong", () => {
    const env = envWithRemotes();
    for (const argv of [["remote", "list"], ["setup"], ["deploy", "--help"], ["status", "-h"], ["deploy", "--build-here"], ["deploy", "--receive", "blog"], ["--protocol=2", "deploy", "--receive", "blog"], ["apps", "--remote", "nope"], []]) {
      expect(earlyTarget(argv, env), argv.join(" ")).toBeUndefined();
    }
    // Run over SSH, a server never follows its own default.
    expect(earlyTarget(["apps"], { ...env, SSH_CONNECTION: "10.0.0.1 5 10.0.0.2 22" })).toBeUndefined();
    expect(earlyTarget(["apps"], { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "hop3-early-")) })).toBeUndefined();
    writeFileSync(remotesFile(env), "{ not json");
    expect(earlyTarget(["apps"], env)).toBeUndefined();
    writeFileSync(remotesFile(env), JSON.stringify({ default: "prod", remotes: { prod: { url: "ssh://root@-oProxyCommand=x" } } }));
    expect(earlyTarget(["apps"], env)).toBeUndefined();
    writeFileSync(remotesFile(env), JSON.stringify({ default: "constructor", remotes: {} }));
    expect(earlyTarget(["apps"], env)).toBeUndefined();
  });
});
