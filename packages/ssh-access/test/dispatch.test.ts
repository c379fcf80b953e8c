import { describe, expect, it } from "vitest";
import { Hop3Error } from "@hop3/core";
import { resolveSshRequest } from "../src/index.js";

const codeOf = (line: string, limits?: string[]) => {
  try {
    resolveSshRequest(line, limits);
  } catch (error) {
    return Hop3Error.is(error) ? error.code : String(error);
  }
  return "run";
};

describe("what a deploy key may run", () => {
  it("runs hop3's app commands and git push", () => {
    expect(resolveSshRequest("hop3 status web --json", undefined)).toEqual({ kind: "hop3", argv: ["status", "web", "--json"] });
    expect(resolveSshRequest("hop3", undefined)).toEqual({ kind: "hop3", argv: ["--help"] });
    expect(resolveSshRequest("git-receive-pack 'web'", undefined)).toEqual({ kind: "git-receive-pack", app: "web" });
    expect(resolveSshRequest("git-receive-pack '/web.git'", undefined)).toEqual({ kind: "git-receive-pack", app: "web" });
  });

  it("keeps a remote client's protocol word first, and checks the command after it as without it", () => {
    expect(resolveSshRequest("hop3 --protocol=2 deploy --receive web --json", ["web"])).toEqual({ kind: "hop3", argv: ["--protocol=2", "deploy", "--receive", "web", "--json"] });
    expect(codeOf("hop3 --protocol=2 deploy --receive api", ["web"])).toBe("SSH_KEY_APP_DENIED");
    expect(codeOf("hop3 --protocol=2 status web", ["web"])).toBe("run");
    for (const line of ["hop3 --protocol=2 setup --yes", "hop3 --protocol=2 --protocol=2 status web", "hop3 --protocol=2 logs web --remote=prod"]) expect(codeOf(line), line).toBe("SSH_COMMAND_REFUSED");
  });

  it.each(["hop3 status web --remote other-server", "hop3 logs web --remote=prod", "sh -c id", "bash", "hop3 setup --yes", "hop3 keys add x y", "hop3 ssh-command --key other", "hop3 git-hook pre-receive web", "hop3 server stop", "hop3 doctor", "git-upload-pack 'web'", "scp -t /", "rsync --server ."])(
    "refuses %j",
    (line) => {
      expect(codeOf(line)).toBe("SSH_COMMAND_REFUSED");
    },
  );

  it("imports Nix store paths (nix-copy-closure --to) for a key not limited to apps, with exactly those words", () => {
    expect(resolveSshRequest("nix-store --serve --write", undefined)).toEqual({ kind: "nix-store-serve" });
    for (const line of ["nix-store --serve", "nix-store --serve --write --option build-hook /tmp/x", "nix-store --import", "nix-store --delete /nix/store/x", "nix-store --serve --write;id", "nix-daemon --stdio"]) {
      expect(codeOf(line), line).toBe("SSH_COMMAND_REFUSED");
    }
    expect(codeOf("nix-store --serve --write", ["web"])).toBe("SSH_KEY_NIX_STORE_DENIED");
  });

  it("lets a limited key deploy a store path to its own app only (the path must already be on the server)", () => {
    const path = "/nix/store/0c0vm2iv6mx1cwh8sxh6kq5ybfhqqlgy-nix-web";
    expect(codeOf(`hop3 deploy --store-path ${path} --app web`, ["web"])).toBe("run");
    expect(codeOf(`hop3 deploy --store-path ${path} --app api`, ["web"])).toBe("SSH_KEY_APP_DENIED");
    expect(codeOf(`hop3 deploy --store-path ${path}`, ["web"])).toBe("SSH_KEY_APP_DENIED");
  });

  it("refuses a push to a repository that is not an app name", () => {
    expect(codeOf("git-receive-pack '../../etc'")).toBe("GIT_PUSH_REFUSED");
    expect(codeOf("git-receive-pack 'Web'")).toBe("GIT_PUSH_REFUSED");
  });

  it("holds a limited key to its apps", () => {
    const limits = ["web"];
    expect(codeOf("hop3 status web", limits)).toBe("run");
    expect(codeOf("hop3 config set web A=1", limits)).toBe("run");
    expect(codeOf("hop3 domains add web example.com", limits)).toBe("run");
    expect(codeOf("hop3 deploy --receive web --env A=1", limits)).toBe("run");
    expect(codeOf("hop3 deploy --app=web", limits)).toBe("run");
    expect(codeOf("hop3 version --json", limits)).toBe("run");
    expect(codeOf("git-receive-pack 'web'", limits)).toBe("run");
    expect(codeOf("hop3 run web -- python manage.py migrate", limits)).toBe("run");
    expect(codeOf("hop3 backup create web", limits)).toBe("run");
    expect(codeOf("hop3 backup list web", limits)).toBe("run");
    for (const line of [
      "hop3 run api -- id",
      "hop3 run -t api -- sh",
      "hop3 backup list",
      "hop3 backup create api",
      // A backup's id names its app with a date: restoring, even to a new app, is for an unlimited key.
      "hop3 backup restore web-20261206T120000Z-ab12 --to web",
      "hop3 status api",
      "hop3 config set api A=1",
      "hop3 apps",
      "hop3 logs --worker web api",
      "hop3 deploy --receive api",
      "hop3 deploy --receive web --app api",
      "hop3 deploy /root --app web",
      "hop3 deploy",
      "git-receive-pack 'api'",
    ]) {
      expect(codeOf(line, limits), line).toMatch(/^(SSH_KEY_APP_DENIED|SSH_COMMAND_REFUSED)$/);
    }
  });
});
