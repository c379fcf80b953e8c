import { describe, expect, it } from "vitest";
import { Hop3Error, shellQuote } from "@hop3/core";
import { parseShellWords } from "../src/index.js";

const refused = (line: string) => {
  try {
    parseShellWords(line);
  } catch (error) {
    return Hop3Error.is(error) ? error.code : String(error);
  }
  return "accepted";
};

describe("parseShellWords", () => {
  it("splits plain words, single and double quotes, and backslashes as a shell does", () => {
    expect(parseShellWords("hop3 deploy --receive web")).toEqual(["hop3", "deploy", "--receive", "web"]);
    expect(parseShellWords("  hop3\tstatus   web  ")).toEqual(["hop3", "status", "web"]);
    expect(parseShellWords("git-receive-pack 'web'")).toEqual(["git-receive-pack", "web"]);
    expect(parseShellWords(`hop3 config set web 'A=x; $(rm -rf /) \`id\` | > <'`)).toEqual(["hop3", "config", "set", "web", "A=x; $(rm -rf /) `id` | > <"]);
    expect(parseShellWords(`hop3 "a \\"b\\" \\\\ c" d\\ e ''`)).toEqual(["hop3", 'a "b" \\ c', "d e", ""]);
    expect(parseShellWords("hop3 'multi\nline'")).toEqual(["hop3", "multi\nline"]);
    expect(parseShellWords("a'b'\"c\"d")).toEqual(["abcd"]);
  });

  it("reads back every word core's shellQuote writes, whatever it holds", () => {
    const words = ["hop3", "plain", "with space", "it's", "$HOME", "`id`", "a;b", "new\nline", "\\", "", "NAME=value", "*", "~", "#x", "é"];
    expect(parseShellWords(words.map(shellQuote).join(" "))).toEqual(words);
  });

  it.each([
    ["hop3 apps; id", "a command separator"],
    ["hop3 apps && id", "&&"],
    ["hop3 apps || id", "||"],
    ["hop3 apps | sh", "a pipe"],
    ["hop3 $(id)", "command substitution"],
    ["hop3 `id`", "backquotes"],
    ["hop3 ${HOME}", "a variable"],
    ['hop3 "$(id)"', "substitution in double quotes"],
    ['hop3 "`id`"', "backquotes in double quotes"],
    ["hop3 apps\nid", "a newline"],
    ["hop3 apps\r", "a carriage return"],
    ["hop3 apps > /etc/passwd", "a redirection"],
    ["hop3 apps < /etc/shadow", "an input redirection"],
    ["hop3 apps 2>&1", "a descriptor redirection"],
    ["hop3 apps &", "background"],
    ["hop3 'unbalanced", "an unbalanced single quote"],
    ['hop3 "unbalanced', "an unbalanced double quote"],
    ["hop3 apps\\", "a trailing backslash"],
    ["hop3 *", "a glob"],
    ["hop3 ~root", "a tilde"],
    ["hop3 # comment", "a comment"],
    ["hop3 (id)", "a subshell"],
    ["hop3 {a,b}", "brace expansion"],
    ["hop3 !!", "history"],
    ['hop3 "\\x"', "an unknown escape in double quotes"],
  ])("refuses %j (%s)", (line) => {
    expect(refused(line)).toBe("SSH_COMMAND_REFUSED");
  });
});
