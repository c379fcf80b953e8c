import { relative, resolve } from "node:path";
import { defineCliCommand, describeEnvReference, Hop3Error, releaseRefusal } from "@hop3/core/cli";
import type { AppSource, Distribution, ReleaseChecks } from "@hop3/core";

export const validateCommand = defineCliCommand({
  name: ["validate"],
  summary: "Read an app's hop3.toml and Procfile, print the configuration Hop3 acts on, and fail on what its build or deploy would refuse (no side effects)",
  usage: "hop3 validate [DIR] [--app NAME] [--json]",
  options: { app: { type: "string" } },
  maxPositionals: 1,
  async run({ args, io, distribution }) {
    const dist = await distribution();
    // Any error of the files (syntax, unknown key, wrong type) is a coded Hop3Error: exit 1.
    const app = dist.loadApp(resolve(io.cwd, args.positionals[0] ?? "."), typeof args.values.app === "string" ? { appName: args.values.app } : {});
    const data = validateData(app, dist);
    // A builder named but not installed is warned about above: nothing more to check.
    const builderKnown = app.config.builder === "auto" || dist.registry.builders().some((b) => b.name === app.config.builder);
    const checks = builderKnown ? await releaseChecks(app, dist, data.warnings) : undefined;
    const refusal = checks && releaseRefusal(checks);
    if (refusal) throw refusal;
    return { data: { ...data, ...(checks && { checks: { ...(checks.deployer !== undefined && { deployer: checks.deployer }), workersChecked: checks.workersChecked, notes: checks.notes } }) }, text: validateText(data, checks) };
  },
});

/**
 * What the build or the deploy would refuse, found before the build (as `hop3 plan` finds it).
 * When no builder can be chosen, that is `hop3 plan`'s to report: a warning here, and no checks.
 */
async function releaseChecks(app: AppSource, distribution: Distribution, warnings: string[]): Promise<ReleaseChecks | undefined> {
  try {
    return (await distribution.plan(app, { refuseProblems: false })).checks;
  } catch (error) {
    if (!Hop3Error.is(error)) throw error;
    warnings.push(`\`hop3 plan\` would refuse it: ${error.message} (${error.code})`);
    return undefined;
  }
}

/** The normalized configuration as `hop3 validate --json` prints it. */
export function validateData(app: AppSource, distribution: Distribution) {
  const { config } = app;
  const warnings = [...config.warnings];
  const builders = distribution.registry.builders().map((builder) => builder.name);
  if (config.builder !== "auto" && !builders.includes(config.builder)) {
    warnings.push(`The builder "${config.builder}" is not installed in this distribution (installed: ${builders.join(", ") || "none"}); \`hop3 plan\` would refuse it.`);
  }
  return {
    valid: true,
    app: app.name,
    dir: app.dir,
    files: config.files,
    builder: config.builder,
    ...(config.toolchain !== undefined && { toolchain: config.toolchain }),
    build: { ...config.build, hooks: config.hooks },
    run: {
      beforeRun: config.beforeRun,
      ...(config.startTimeoutSeconds !== undefined && { startTimeoutSeconds: config.startTimeoutSeconds }),
    },
    workers: config.workers,
    cron: config.cron.map(({ name, schedule, command }) => ({ name, schedule, command })),
    env: config.env,
    deferredEnv: config.deferredEnv,
    computedEnv: config.computedEnv,
    ...(config.healthcheck && { healthcheck: config.healthcheck }),
    ...(config.containerPort && { containerPort: config.containerPort }),
    volumes: config.volumes,
    metadata: config.toml.metadata ?? {},
    notActedOn: config.notActedOn,
    warnings,
  };
}

function validateText(data: ReturnType<typeof validateData>, checks: ReleaseChecks | undefined): string[] {
  const read = [data.files.hop3Toml, data.files.procfile].filter((path) => path !== undefined).map((path) => relative(data.dir, path));
  const lines = [`app ${data.app} (${data.dir})`, `read: ${read.join(", ") || "no hop3.toml or Procfile (defaults)"}`];
  lines.push(`builder: ${data.builder}${data.toolchain !== undefined ? `, toolchain ${data.toolchain}` : ""}`);
  const steps: Array<[string, readonly string[]]> = [
    ["prebuild", data.build.hooks.prebuild],
    ["before-build", data.build.beforeBuild],
    ["build", data.build.commands],
    ["after-build", data.build.afterBuild],
    ["postbuild", data.build.hooks.postbuild],
    ["before-run", data.run.beforeRun],
  ];
  for (const [name, commands] of steps) for (const command of commands) lines.push(`${name}: ${command}`);
  if (data.run.startTimeoutSeconds !== undefined) lines.push(`start-timeout: ${data.run.startTimeoutSeconds} s`);
  const workers = Object.entries(data.workers);
  lines.push(workers.length > 0 ? "workers:" : "workers: none declared (the build provides them: runtime.json or toolchains)");
  for (const [name, command] of workers) lines.push(`  ${name}: ${command}`);
  const env = Object.entries(data.env);
  if (env.length > 0) lines.push(`env: ${env.map(([name]) => name).join(", ")}`);
  for (const [name, reference] of Object.entries(data.deferredEnv)) lines.push(`env ${describeEnvReference(name, reference)}`);
  if (data.healthcheck) {
    const { path, contains, timeoutSeconds } = data.healthcheck;
    lines.push(`healthcheck: ${path}${contains !== undefined ? ` (body contains ${JSON.stringify(contains)})` : ""}${timeoutSeconds !== undefined ? `, ${timeoutSeconds} s per try` : ""}`);
  }
  for (const volume of data.volumes) lines.push(`volume ${volume.name}: ${volume.target}`);
  if (data.containerPort) lines.push(`container port: ${data.containerPort.port} (${data.containerPort.source})`);
  if (checks?.deployer !== undefined) lines.push(`checked before the build: deployer ${checks.deployer} runs these workers on this host`);
  for (const note of checks?.notes ?? []) lines.push(`not checked before the build: ${note}`);
  for (const warning of data.warnings) lines.push(`warning: ${warning}`);
  lines.push("valid");
  return lines;
}
