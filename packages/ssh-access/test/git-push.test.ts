import { describe, expect, it } from "vitest";
import { Hop3Error } from "@hop3/core";
import { commitToDeploy, pushSizeLimit, renderPreReceiveHook } from "../src/index.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const ZERO = "0".repeat(40);
const codeOf = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return Hop3Error.is(error) ? error.code : String(error);
  }
  return "accepted";
};

describe("what a push deploys", () => {
  it("is the one branch pushed, new or updated", () => {
    expect(commitToDeploy(`${ZERO} ${A} refs/heads/main\n`)).toEqual({ oldId: ZERO, newId: A, ref: "refs/heads/main" });
    expect(commitToDeploy(`${A} ${B} refs/heads/production\n`).newId).toBe(B);
  });

  it.each([
    ["a deletion", `${A} ${ZERO} refs/heads/main\n`],
    ["a tag", `${ZERO} ${A} refs/tags/v1\n`],
    ["two branches at once", `${ZERO} ${A} refs/heads/main\n${ZERO} ${B} refs/heads/other\n`],
    ["nothing", ""],
    ["a commit id that is not one", `${ZERO} --upload-pack=x refs/heads/main\n`],
  ])("refuses %s", (_what, lines) => {
    expect(codeOf(() => commitToDeploy(lines))).toBe("GIT_PUSH_REFUSED");
  });
});

describe("the push size limit", () => {
  it("is HOP3_UPLOAD_MAX_SIZE in git's units, 1 GiB by default", () => {
    expect(pushSizeLimit({})).toBe("1g");
    expect(pushSizeLimit({ HOP3_UPLOAD_MAX_SIZE: "500M" })).toBe("500m");
    expect(pushSizeLimit({ HOP3_UPLOAD_MAX_SIZE: "1048576" })).toBe("1048576");
    expect(codeOf(() => pushSizeLimit({ HOP3_UPLOAD_MAX_SIZE: "lots" }))).toBe("HOP3_SETTING_INVALID");
    expect(codeOf(() => pushSizeLimit({ HOP3_UPLOAD_MAX_SIZE: "1T" }))).toBe("HOP3_SETTING_INVALID");
  });
});

describe("the pre-receive hook", () => {
  it("runs this hop3 again, every word quoted", () => {
    expect(renderPreReceiveHook(["/usr/bin/node", "/opt/hop3 cli/bin.js"], "web")).toBe(
      "#!/bin/sh\n# Made by Hop3: deploys the pushed commit; a failed deploy refuses the push.\nexec /usr/bin/node '/opt/hop3 cli/bin.js' git-hook pre-receive web\n",
    );
  });
});
