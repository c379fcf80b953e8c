import { Hop3Error } from "@hop3/core/cli";
import type { Distribution, Hop3Plugin } from "@hop3/core";

/**
 * The default distribution: core plus every plugin of this repository, composed with the same
 * public API any other distribution uses. Core's pipeline and the plugins are imported here, lazily:
 * a command that only forwards to a remote, or `hop3 --version`, never loads them.
 */
export async function loadDefaultDistribution(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Distribution> {
  const [{ createDistribution }, { nixPlugin }, { dockerPlugin }, { localBuilderPlugin, packageIndexEnv }, { uwsgiDeployerPlugin }, { staticDeployerPlugin }, { nginxRouterPlugin }, { tlsPlugin }, { redisAddonPlugin }, { postgresAddonPlugin }] = await Promise.all([
    import("@hop3/core"),
    import("@hop3/builder-nix"),
    import("@hop3/builder-docker"),
    import("@hop3/builder-local"),
    import("@hop3/deployer-uwsgi"),
    import("@hop3/deployer-static"),
    import("@hop3/router-nginx"),
    import("@hop3/tls"),
    import("@hop3/addon-redis"),
    import("@hop3/addon-postgres"),
  ]);
  return createDistribution({
    plugins: [nixPlugin(), dockerPlugin(), localBuilderPlugin({ env: packageIndexEnv(env) }), ...(await containerDeployer(env)), uwsgiDeployerPlugin(), staticDeployerPlugin(), nginxRouterPlugin({}, env), tlsPlugin(), redisAddonPlugin({}, env), postgresAddonPlugin({}, env)],
    env,
  });
}

/**
 * HOP3_CONTAINER_DEPLOYER=swarm runs Docker apps as Swarm services: the first deployer that takes
 * an artifact's shape runs it, so the Swarm deployer goes before uWSGI. HOP3_SWARM_REGISTRY names
 * the registry the nodes pull from (`none`: no registry); unset, Hop3 runs its own.
 */
async function containerDeployer(env: Readonly<Record<string, string | undefined>>): Promise<Hop3Plugin[]> {
  const chosen = env.HOP3_CONTAINER_DEPLOYER ?? "";
  if (chosen === "" || chosen === "uwsgi") return [];
  if (chosen !== "swarm") {
    throw new Hop3Error({
      code: "OPTIONS_INVALID",
      message: `HOP3_CONTAINER_DEPLOYER is ${JSON.stringify(chosen)}; it is "uwsgi" (the default) or "swarm".`,
      hint: "Set HOP3_CONTAINER_DEPLOYER=swarm to run Docker apps as Swarm services, or unset it.",
    });
  }
  const { swarmDeployerPlugin, registryFromEnv } = await import("@hop3/deployer-swarm");
  const registry = registryFromEnv(env);
  return [swarmDeployerPlugin(registry !== undefined ? { registry } : {})];
}
