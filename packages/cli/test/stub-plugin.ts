import { definePlugin, type Deployer, type DeploymentStatus, type OperationContext, type Router, type WorkerLog } from "@hop3/core";

/** What the stub deployer and router do: only what a test needs, the rest refuses. */
export interface StubOptions {
  readonly logFiles?: readonly WorkerLog[];
  readonly deployerMaintain?: (context: OperationContext) => Promise<readonly string[]>;
  readonly routerMaintain?: (context: OperationContext) => Promise<readonly string[]>;
}

const refuse = async (): Promise<never> => {
  throw new Error("not used by this test");
};

/** A plugin with a deployer of artifacts with command workers and a router, written for the CLI's tests. */
export function stubPlugin(options: StubOptions = {}) {
  const status = (app: string): DeploymentStatus => ({ app, state: "running", workers: [] }) as unknown as DeploymentStatus;
  const deployer: Deployer = {
    apiVersion: 1,
    name: "stub",
    takes: ["processes"],
    deploy: refuse,
    start: refuse,
    stop: refuse,
    restart: refuse,
    scale: refuse,
    destroy: refuse,
    status: async (app) => status(app),
    logFiles: async () => options.logFiles ?? [],
    ...(options.deployerMaintain && { maintain: options.deployerMaintain }),
  };
  const router: Router = {
    apiVersion: 1,
    name: "stub-router",
    ensureRunning: refuse,
    apply: refuse,
    remove: refuse,
    urlFor: (app) => `http://${app}.localhost/`,
    status: async () => ({ running: false, listen: "127.0.0.1:0", apps: [] }),
    stop: refuse,
    ...(options.routerMaintain && { maintain: options.routerMaintain }),
  };
  return definePlugin({
    name: "test/stub",
    apiVersion: 1,
    register(registry) {
      registry.addDeployer(deployer);
      registry.addRouter(router);
    },
  });
}
