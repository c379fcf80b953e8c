import { createRequire } from "node:module";
import { definePlugin, type Hop3Plugin } from "@hop3/core";
import { createUwsgiDeployer } from "./deployer.js";
import { PACKAGE_NAME, type UwsgiDeployerOptions } from "./options.js";

/**
 * The @hop3/deployer-uwsgi plugin: registers the uWSGI deployer for every artifact kind whose
 * workers are commands. Options are validated at once.
 *
 * @example
 * const distribution = createDistribution({ plugins: [uwsgiDeployerPlugin({ startTimeoutSeconds: 60 })] });
 */
export function uwsgiDeployerPlugin(options?: UwsgiDeployerOptions): Hop3Plugin {
  const deployer = createUwsgiDeployer(options);
  return definePlugin({
    name: PACKAGE_NAME,
    apiVersion: 1,
    version: packageVersion(),
    description: "Runs apps' workers under a uWSGI emperor",
    requirements: [
      {
        id: "uwsgi",
        program: "uwsgi",
        // uwsgi-core provides `uwsgi`; the Python plugin lets a vassal serve a WSGI app in-process.
        debianPackages: ["uwsgi-core", "uwsgi-plugin-python3"],
        enables: "apps with processes (web and other workers)",
        manualInstall: "Install uWSGI 2.0 with its Python 3 plugin (https://uwsgi-docs.readthedocs.io/en/latest/Install.html).",
      },
      // The drain after a switch counts the old instances' connections: on a busy server (tens of
      // thousands of TIME_WAIT sockets) ss asks the kernel for the open ones alone; without it the
      // drain reads /proc/net/tcp, about 5 times the CPU there.
      {
        id: "ss",
        program: "ss",
        debianPackages: ["iproute2"],
        enables: "a cheaper drain after each switch on a busy server (the kernel filters the open connections)",
        level: "optional",
        manualInstall: "Install iproute2, which provides ss.",
      },
      // Plugins of the rwsgi and jwsgi workers, installed when asked. Their program is uWSGI, which
      // loads them; `hop3 doctor` lists the plugins installed.
      {
        id: "rack",
        program: "uwsgi",
        debianPackages: ["uwsgi-plugin-rack-ruby3.1", "ruby-rack"],
        enables: "rwsgi workers (Rack apps uWSGI loads itself)",
        level: "opt-in",
        manualInstall: "Build uWSGI's rack plugin (https://uwsgi-docs.readthedocs.io/en/latest/Ruby.html) into /usr/lib/uwsgi/plugins.",
      },
      {
        id: "jvm",
        program: "uwsgi",
        debianPackages: ["uwsgi-plugin-jvm-openjdk-17", "uwsgi-plugin-jwsgi-openjdk-17"],
        enables: "jwsgi workers (JVM apps uWSGI loads itself)",
        level: "opt-in",
        manualInstall: "Build uWSGI's jvm and jwsgi plugins (https://uwsgi-docs.readthedocs.io/en/latest/JWSGI.html) into /usr/lib/uwsgi/plugins.",
      },
    ],
    register(registry) {
      registry.addDeployer(deployer);
    },
  });
}

// Read when a plugin is made, not at import: the package stays free of import-time side effects.
// src/ and dist/ both sit one level below package.json.
const packageVersion = (): string => (createRequire(import.meta.url)("../package.json") as { version: string }).version;
