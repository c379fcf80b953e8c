import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDistribution, type Distribution } from "@hop3/core";
import { stopEmperor, uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";
import { nginxRouterPlugin } from "@hop3/router-nginx";
import { deployContext, freePort, getReport, makeArtifact, portOf, processesUnder, removeTempHomes, tempHome, writeApp } from "./helpers.js";

// A plugin's builder may name its artifacts anything: the deployer takes them by what they are.
describe("an artifact of a kind no deployer has heard of, with a command worker", () => {
  const home = tempHome();
  const dir = writeApp(home, "novel");
  const artifact = { ...makeArtifact("novel", dir, { env: { APP_LABEL: "novel" } }), kind: "my-new-kind" };
  let distribution: Distribution;
  let httpPort: number;

  beforeAll(async () => {
    httpPort = await freePort();
    distribution = createDistribution({
      plugins: [uwsgiDeployerPlugin({ startTimeoutSeconds: 20 }), nginxRouterPlugin({ httpPort })],
      env: { ...process.env, HOP3_HOME: home },
    });
  });

  afterAll(async () => {
    await stopEmperor(home);
    await distribution.router().stop(deployContext(home, distribution.router()));
    expect(processesUnder(home)).toEqual([]);
    removeTempHomes();
  });

  it("runs under uWSGI, unchanged, and answers through nginx", async () => {
    const deployer = distribution.deployerFor(artifact);
    expect(deployer.name).toBe("uwsgi");
    const status = await deployer.deploy(artifact, deployContext(home, distribution.router()));
    expect(status.state).toBe("running");
    const answer = await getReport(httpPort, "/", "novel.localhost");
    expect(answer).toMatchObject({ name: "novel", env: { PORT: String(portOf(status)) } });
    await deployer.destroy("novel", deployContext(home, distribution.router()));
  });
});
