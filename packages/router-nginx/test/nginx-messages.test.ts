import { describe, expect, it } from "vitest";
import { findProblem, findWarnings, isAddressInUse, masterEmergLines, severeLogLines } from "../src/nginx-messages.js";
import { serverNames } from "../src/site-files.js";

// Lines as nginx 1.22 prints them (copied from real runs).
describe("reading nginx's messages", () => {
  it("finds the emerg line and the file and line it names", () => {
    const problem = findProblem([
      'nginx: [emerg] unknown directive "foo" in /srv/hop3/nginx/sites/bad.conf:3',
      "nginx: configuration file /srv/hop3/nginx/staging/test-1.conf test failed",
    ]);
    expect(problem).toEqual({ line: '[emerg] unknown directive "foo" in /srv/hop3/nginx/sites/bad.conf:3', file: "/srv/hop3/nginx/sites/bad.conf", lineNumber: 3 });
  });

  it("keeps an emerg line that names no file", () => {
    const problem = findProblem(["nginx: [emerg] could not build server_names_hash, you should increase server_names_hash_bucket_size: 64"]);
    expect(problem?.file).toBeUndefined();
    expect(problem?.line).toContain("server_names_hash");
  });

  it("tells warnings and bind failures apart", () => {
    expect(findWarnings(['nginx: [warn] conflicting server name "a.localhost" on 127.0.0.1:8080, ignored'])).toHaveLength(1);
    expect(isAddressInUse("[emerg] bind() to 127.0.0.1:8080 failed (98: Address already in use)")).toBe(true);
    expect(severeLogLines("2026/01/01 10:00:00 [notice] 1#1: signal process started\n2026/01/01 10:00:00 [emerg] 1#1: x")).toHaveLength(1);
  });

  it("takes a failed reload only from the master's [emerg] lines, not from a worker's trouble with a request", () => {
    const log = [
      "2026/11/25 13:57:26 [crit] 4242#4242: *17 open() \"/srv/x\" failed (13: Permission denied)",
      "2026/11/25 13:57:26 [emerg] 4242#4242: something a worker said",
      "2026/11/25 13:57:26 [emerg] 4100#4100: bind() to 127.0.0.1:8081 failed (98: Address already in use)",
    ].join("\n");
    expect(masterEmergLines(log, 4100)).toEqual(["2026/11/25 13:57:26 [emerg] 4100#4100: bind() to 127.0.0.1:8081 failed (98: Address already in use)"]);
  });

  it("reads the host names of every server_name, ignoring comments", () => {
    expect(serverNames("# server_name ghost.localhost;\nserver {\n  server_name a.localhost  b.example.org;\n}\nserver { server_name c.localhost; }")).toEqual([
      "a.localhost",
      "b.example.org",
      "c.localhost",
    ]);
  });
});
