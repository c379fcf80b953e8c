import type { Distribution } from "@hop3/core";

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
    plugins: [nixPlugin(), dockerPlugin(), localBuilderPlugin({ env: packageIndexEnv(env) }), uwsgiDeployerPlugin(), staticDeployerPlugin(), nginxRouterPlugin({}, env), tlsPlugin(), redisAddonPlugin({}, env), postgresAddonPlugin({}, env)],
    env,
  });
}
