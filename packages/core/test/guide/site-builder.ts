import { join } from "node:path";
import {
  Hop3Tokens,
  inject,
  injectable,
  isDirectory,
  type AcceptContext,
  type BuildArtifact,
  type BuildContext,
  type Builder,
  type Clock,
  type CommandRunner,
  type Logger,
} from "@hop3/core";

/** Publishes an app's `site/` directory as it is. Its services come by injection, anew for each build. */
@injectable()
export class SiteBuilder implements Builder {
  readonly apiVersion = 1;
  readonly name = "site";
  readonly usesToolchains = false;

  constructor(
    // The very objects the build's context holds as `run`, `logger` and `clock`.
    @inject(Hop3Tokens.CommandRunner) private readonly run: CommandRunner,
    @inject(Hop3Tokens.Logger) private readonly logger: Logger,
    @inject(Hop3Tokens.Clock) private readonly clock: Clock,
  ) {}

  accept({ app }: AcceptContext) {
    return isDirectory(join(app.dir, "site"))
      ? { accepted: true, reason: "site/ found" }
      : { accepted: false, reason: "no site/ directory" };
  }

  async build(context: BuildContext): Promise<BuildArtifact> {
    const site = join(context.app.dir, "site");
    const { stdout } = await this.run("du", ["-sk", site], { purpose: "measuring the site" });
    this.logger.info(`Publishing ${site} (${stdout.split("\t")[0]} KiB).`);
    return {
      apiVersion: 1,
      kind: "site",
      location: context.app.dir,
      builder: this.name,
      appName: context.app.name,
      buildId: context.releaseId,
      builtAt: this.clock.now().toISOString(),
      metadata: {},
      runtime: { workers: { static: "site" }, env: {}, path: [], workingDir: context.app.dir },
    };
  }
}
