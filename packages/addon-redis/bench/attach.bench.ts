import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineBench } from "@hop3/bench";
import { createDistribution, createMemoryLogger, type Addon, type OperationContext } from "@hop3/core";
import { ADMIN_USER, attachmentRules, createRedisAddon, redisLayout } from "@hop3/addon-redis";

// `create` + `attach` of a Redis instance against the same two ACL commands typed by hand into
// redis-cli (ACL SETUSER with the same rules, ACL SAVE), on the same running server.
let home = "";
let port = 0;
let addon: Addon;
let context: OperationContext;
let counter = 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function redisCli(input: string): Promise<void> {
  const password = readFileSync(redisLayout(home).adminPasswordFile, "utf8").trim();
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--user", ADMIN_USER], { env: { ...process.env, REDISCLI_AUTH: password }, stdio: ["pipe", "ignore", "inherit"] });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli exited with ${code}`))));
    child.stdin.end(input);
  });
}

export default defineBench({
  name: "redis addon",
  async setup() {
    home = mkdtempSync(join(tmpdir(), "hop3-bench-redis-"));
    port = await freePort();
    addon = createRedisAddon({ port }, {});
    context = createDistribution({ plugins: [], env: { ...process.env, HOP3_HOME: home } }).operationContext({ logger: createMemoryLogger() });
    await addon.ensureRunning(context);
    return async () => {
      await addon.stop(context);
      rmSync(home, { recursive: true, force: true });
    };
  },
  cases: () => [
    {
      name: "create + attach an instance",
      goal: "< 50 ms overhead",
      iterations: 20,
      subject: {
        label: "RedisAddon.create + attach",
        run: async () => {
          const name = `i${counter++}`;
          await addon.create(name, context);
          await addon.attach(name, "app", context);
        },
      },
      baseline: {
        label: "redis-cli ACL SETUSER + ACL SAVE",
        run: () => {
          const name = `raw${counter++}.app`;
          return redisCli(`ACL SETUSER ${name} ${attachmentRules(`raw${counter}`, "0".repeat(64)).join(" ")}\nACL SAVE\n`);
        },
      },
    },
  ],
});
