import { describe, expect, it } from "vitest";
import { parseNixEnv } from "../src/nix-cli.js";
import { caught } from "./helpers.js";

// Inputs are what `nix-instantiate --eval --json --strict hop3.nix -A env` prints (NIX-OUTPUT.md).
describe("the env attribute of hop3.nix", () => {
  it("reads an attribute set of strings", () => {
    expect(parseNixEnv('{"COMPUTED":"computed-in-nix","GREETING":"from-hop3-nix","SHARED":"from-hop3-nix"}', "app")).toEqual({
      COMPUTED: "computed-in-nix",
      GREETING: "from-hop3-nix",
      SHARED: "from-hop3-nix",
    });
    expect(parseNixEnv("{}", "app")).toEqual({});
  });

  it.each([
    ['{"A":1,"B":true}', "A = 1, which is not a string"],
    ["null", "must be an attribute set, not null"],
    ['["a"]', "must be an attribute set, not a list"],
    ['"text"', "must be an attribute set, not a string"],
    ['{"NOT-VALID":"x"}', '"NOT-VALID", which is not a valid environment variable name'],
    ['{"A":{"nested":"x"}}', "which is not a string"],
  ])("refuses %s with NIX_ENV_INVALID", async (json, words) => {
    const error = await caught(() => parseNixEnv(json, "app"));
    expect(error.code).toBe("NIX_ENV_INVALID");
    expect(error.message).toContain(words);
    expect(error.hint).toContain('NAME = "value"');
  });
});
