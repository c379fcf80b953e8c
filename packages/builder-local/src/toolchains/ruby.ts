import { join } from "node:path";
import type { LanguageToolchain, ToolchainBuildContext, ToolchainContribution } from "@hop3/core";
import { detectByFiles, isFile, requireTool, runStep } from "./shared.js";

const INSTALL_BUNDLER = "Install Ruby and Bundler: on Debian or Ubuntu `apt-get install ruby ruby-bundler`.";

/**
 * Ruby: `bundle install` into the release's `vendor/bundle`, so each release carries its gems;
 * BUNDLE_PATH and BUNDLE_GEMFILE point the workers at them. A `config.ru` gets a rackup web worker.
 */
export function createRubyToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "ruby",
    programs: [{ name: "bundle", install: INSTALL_BUNDLER }],
    description: "Ruby: bundle install into the release",
    priority: 40,
    detect: (app) => detectByFiles(app, "ruby", ["Gemfile"]),
    build: buildRuby,
  };
}

async function buildRuby(context: ToolchainBuildContext): Promise<ToolchainContribution> {
  const bundle = requireTool("bundle", context, "ruby", INSTALL_BUNDLER);
  const env = {
    BUNDLE_PATH: join(context.buildDir, "vendor", "bundle"),
    BUNDLE_GEMFILE: join(context.buildDir, "Gemfile"),
    BUNDLE_APP_CONFIG: join(context.buildDir, ".bundle"),
  };
  if (isFile(env.BUNDLE_GEMFILE)) await runStep(context, "LOCAL_INSTALL_FAILED", "bundle install", bundle, ["install"], { env });
  const workers: Record<string, string> = {};
  if (isFile(join(context.buildDir, "config.ru"))) workers.web = 'bundle exec rackup --host "$BIND_ADDRESS" --port "$PORT"';
  return { env, path: [join(context.buildDir, "bin")], workers };
}
