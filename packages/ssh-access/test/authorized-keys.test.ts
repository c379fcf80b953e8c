import { describe, expect, it } from "vitest";
import { Hop3Error } from "@hop3/core";
import { checkKeyName, parseKeysFile, parsePublicKey, renderKeyLine, renderKeysFile } from "../src/index.js";

// A real ed25519 public key (its blob starts with the length-prefixed type).
const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const ENTRY = "/var/lib/hop3/bin/hop3";

const codeOf = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    return Hop3Error.is(error) ? error.code : String(error);
  }
  return "accepted";
};

describe("public keys", () => {
  it("takes a .pub line, keeping only the type and the blob", () => {
    expect(parsePublicKey(`ssh-ed25519 ${ED25519} alice@laptop\n`)).toEqual({ type: "ssh-ed25519", key: ED25519 });
    expect(parsePublicKey(`ssh-ed25519 ${ED25519}`)).toEqual({ type: "ssh-ed25519", key: ED25519 });
  });

  it.each([
    ["options before the key", `command="sh",no-pty ssh-ed25519 ${ED25519} x`],
    ["a forced-command bypass", `from="*" ssh-ed25519 ${ED25519}`],
    ["two lines", `ssh-ed25519 ${ED25519} a\nssh-ed25519 ${ED25519} b`],
    ["a newline injected in the comment, making a second key line", `ssh-ed25519 ${ED25519} a\nssh-rsa AAAA b`],
    ["an unknown type", `ssh-dss ${ED25519}`],
    ["a blob that is not base64", "ssh-ed25519 AAAA$$$$"],
    ["a blob of another type", `ssh-rsa ${ED25519}`],
    ["nothing", "  \n"],
  ])("refuses %s", (_what, text) => {
    expect(codeOf(() => parsePublicKey(text))).toBe("SSH_KEY_INVALID");
  });

  it("takes only safe words as key names", () => {
    expect(checkKeyName("alice-laptop.2")).toBe("alice-laptop.2");
    for (const name of ["", "-x", "a b", 'a"b', "a,command=x", "a\nb", "../x", "x".repeat(65)]) expect(codeOf(() => checkKeyName(name))).toBe("SSH_KEY_NAME_INVALID");
  });
});

describe("authorized_keys lines", () => {
  it("forces the command and restricts everything else", () => {
    expect(renderKeyLine({ name: "ci", type: "ssh-ed25519", key: ED25519, apps: ["web", "api"] }, ENTRY)).toBe(
      `command="sudo -n ${ENTRY} ssh-command --key ci --apps web,api",restrict ssh-ed25519 ${ED25519} hop3:ci`,
    );
  });

  it("reads back what it writes, and keeps lines it did not write", () => {
    const other = `ssh-ed25519 ${ED25519} someone`;
    const text = renderKeysFile({ keys: [{ name: "a", type: "ssh-ed25519", key: ED25519 }, { name: "b", type: "ssh-ed25519", key: ED25519, apps: ["web"] }], otherLines: [other] }, ENTRY);
    const file = parseKeysFile(text);
    expect(file.keys).toEqual([
      { name: "a", type: "ssh-ed25519", key: ED25519 },
      { name: "b", type: "ssh-ed25519", key: ED25519, apps: ["web"] },
    ]);
    expect(file.otherLines).toEqual([other]);
    expect(renderKeysFile(file, ENTRY)).toBe(text);
  });

  it("does not take a hand-edited line for its own (the name in the command and the comment differ)", () => {
    const line = `command="sudo -n ${ENTRY} ssh-command --key a",restrict ssh-ed25519 ${ED25519} hop3:b`;
    expect(parseKeysFile(line).keys).toEqual([]);
  });
});
