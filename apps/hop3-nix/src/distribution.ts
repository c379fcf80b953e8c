import { createRequire } from "node:module";
import { nixPlugin } from "@hop3/builder-nix";
import { createDistribution, type Distribution } from "@hop3/core";
import { staticDeployerPlugin } from "@hop3/deployer-static";
import { uwsgiDeployerPlugin } from "@hop3/deployer-uwsgi";
import { nginxRouterPlugin } from "@hop3/router-nginx";

/** The program name users type. */
export const PROGRAM = "hop3-nix";

/**
 * The Nix-only distribution: apps are built from their hop3.nix and nothing else (no Docker, no
 * language toolchains), run by the uWSGI emperor or served as static files, behind nginx.
 */
export function createNixDistribution(env: Readonly<Record<string, string | undefined>> = process.env): Distribution {
  return createDistribution({
    plugins: [nixPlugin(), uwsgiDeployerPlugin(), staticDeployerPlugin(), nginxRouterPlugin({}, env)],
    env,
  });
}

/** This package's version, read when asked: importing the package has no side effects. */
export const distributionVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
