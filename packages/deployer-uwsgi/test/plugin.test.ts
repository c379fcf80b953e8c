import { describe, expect, it } from "vitest";
import { Registry } from "@hop3/core";
import { uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";

describe("uwsgiDeployerPlugin", () => {
  it("registers the uWSGI deployer in a real registry, for artifacts whose workers are commands, whatever their kind", () => {
    const plugin = uwsgiDeployerPlugin({ startTimeoutSeconds: 5 });
    expect(plugin).toMatchObject({ name: "@hop3/deployer-uwsgi", apiVersion: 1, version: "0.1.0" });
    const registry = new Registry();
    registry.withPlugin(plugin.name, () => plugin.register(registry));
    const [deployer] = registry.deployers();
    expect(deployer).toMatchObject({ apiVersion: 1, name: "uwsgi" });
    expect(deployer!.takes).toEqual(["processes", "container-image"]);
  });
});
