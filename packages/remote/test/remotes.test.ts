import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { caught } from "@hop3/test-support";
import { addRemote, chosenRemote, listRemotes, parseRemoteUrl, remotesFile, removeRemote, setDefaultRemote, withoutRemote } from "@hop3/remote";

const freshEnv = () => ({ XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "hop3-remotes-")) });

describe("parseRemoteUrl", () => {
  it.each([
    ["ssh://root@example.com", { user: "root", host: "example.com" }],
    ["ssh://deploy@10.0.0.5:2222", { user: "deploy", host: "10.0.0.5", port: 2222 }],
    ["ssh://hop3@[2001:db8::1]:22", { user: "hop3", host: "2001:db8::1", port: 22 }],
    ["ssh://my-alias", { host: "my-alias" }],
    ["ssh://root@example.com/", { user: "root", host: "example.com" }],
  ])("reads %s", (url, target) => {
    expect(parseRemoteUrl(url)).toEqual(target);
  });

  it.each([
    "root@example.com",
    "https://example.com",
    "ssh://",
    "ssh://root@",
    "ssh://root@example.com:0",
    "ssh://root@example.com:70000",
    "ssh://root@example.com:",
    "ssh://root@example.com/path",
    "ssh://-oProxyCommand=touch@x",
    "ssh://root@-oProxyCommand=x",
    "ssh://ro ot@example.com",
    "ssh://root@[not-ipv6]",
  ])("refuses %s", async (url) => {
    expect((await caught(() => parseRemoteUrl(url))).code).toBe("REMOTE_URL_INVALID");
  });
});

describe("the remotes store", () => {
  it("adds, lists, sets the default and removes, in a file only its user reads", () => {
    const env = freshEnv();
    expect(listRemotes(env)).toEqual({ remotes: [] });
    addRemote(env, "prod", "ssh://root@prod.example.com");
    addRemote(env, "staging", "ssh://deploy@staging.example.com:2222", "sudo -n hop3");
    const file = remotesFile(env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(listRemotes(env)).toEqual({
      default: "prod",
      remotes: [
        { name: "prod", url: "ssh://root@prod.example.com", command: "hop3" },
        { name: "staging", url: "ssh://deploy@staging.example.com:2222", command: "sudo -n hop3" },
      ],
    });
    setDefaultRemote(env, "staging");
    expect(listRemotes(env).default).toBe("staging");
    removeRemote(env, "staging");
    expect(listRemotes(env)).toEqual({ remotes: [{ name: "prod", url: "ssh://root@prod.example.com", command: "hop3" }] });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ remotes: { prod: { url: "ssh://root@prod.example.com" } } });
  });

  it("refuses a duplicate, a bad name, an unknown remote and a broken file, each with its code", async () => {
    const env = freshEnv();
    addRemote(env, "prod", "ssh://root@example.com");
    expect((await caught(() => addRemote(env, "prod", "ssh://root@other.example.com"))).code).toBe("REMOTE_EXISTS");
    expect((await caught(() => addRemote(env, "Prod!", "ssh://root@example.com"))).code).toBe("REMOTE_NAME_INVALID");
    expect((await caught(() => addRemote(env, "bad", "ssh://root@example.com", "hop3\nrm -rf /"))).code).toBe("REMOTE_URL_INVALID");
    expect((await caught(() => removeRemote(env, "nope"))).code).toBe("REMOTE_UNKNOWN");
    expect((await caught(() => setDefaultRemote(env, "nope"))).code).toBe("REMOTE_UNKNOWN");
    writeFileSync(remotesFile(env), "{ not json");
    expect((await caught(() => listRemotes(env))).code).toBe("REMOTES_FILE_INVALID");
    writeFileSync(remotesFile(env), JSON.stringify({ default: "gone", remotes: {} }));
    expect((await caught(() => listRemotes(env))).code).toBe("REMOTES_FILE_INVALID");
  });

  it("chooses --remote, else HOP3_REMOTE, else the default, which a command run over SSH never follows", () => {
    const env = freshEnv();
    expect(chosenRemote(env, undefined)).toBeUndefined();
    addRemote(env, "prod", "ssh://root@prod.example.com");
    addRemote(env, "staging", "ssh://root@staging.example.com");
    expect(chosenRemote(env, undefined)?.name).toBe("prod");
    expect(chosenRemote({ ...env, HOP3_REMOTE: "staging" }, undefined)?.name).toBe("staging");
    expect(chosenRemote({ ...env, HOP3_REMOTE: "staging" }, "prod")?.name).toBe("prod");
    expect(chosenRemote({ ...env, SSH_CONNECTION: "10.0.0.1 5000 10.0.0.2 22" }, undefined)).toBeUndefined();
    expect(chosenRemote({ ...env, SSH_CONNECTION: "10.0.0.1 5000 10.0.0.2 22" }, "staging")?.name).toBe("staging");
  });

  it("takes --remote out of the words sent to the server", () => {
    expect(withoutRemote(["blog", "--remote", "prod", "--json"])).toEqual(["blog", "--json"]);
    expect(withoutRemote(["--remote=prod", "blog", "-f"])).toEqual(["blog", "-f"]);
    expect(withoutRemote(["set", "blog", "--", "--remote", "x"])).toEqual(["set", "blog", "--", "--remote", "x"]);
  });
});
