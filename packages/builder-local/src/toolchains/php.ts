import { dirname, join } from "node:path";
import type { AppSource, Detection, LanguageToolchain, ToolchainBuildContext, ToolchainContribution } from "@hop3/core";
import { cacheOf } from "../cache.js";
import { runFetchingStep } from "./network.js";
import { filesEndingWith, isDirectory, namedOrFound } from "./files.js";
import { isFile, requireTool } from "./shared.js";

const INSTALL_PHP = "Install PHP: `hop3 setup --with php` (on Debian or Ubuntu `apt-get install php-cli composer`).";
const INSTALL_COMPOSER = "Install Composer: `hop3 setup --with php` (on Debian or Ubuntu `apt-get install composer`), or from https://getcomposer.org.";
const OFFLINE_PHP =
  "Composer downloads from Packagist (repo.packagist.org). Let the server reach it (or a Packagist mirror, set in composer.json `repositories`), or commit the vendor/ directory with the app and drop its `require` entries.";
/** Where PHP apps conventionally keep what the web may fetch (Laravel, Symfony: public/; older ones: web/). */
const DOCUMENT_ROOTS = ["public", "web"];

/**
 * PHP, as the original Hop3 detects it: a composer.json or a `.php` file at the root.
 * `composer install` (no dev packages, optimized autoloader) when there is a composer.json, with
 * Composer's home and download cache in `<app>/cache/php`. The default web worker is PHP's own
 * server (`php -S`) on the app's address and port, serving `public/` or `web/` when the app has one,
 * else its root: it runs as a command worker like any other, where uWSGI's php plugin would need a
 * worker type of its own and another Debian package on every server.
 */
export function createPhpToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "php",
    description: "PHP: composer install, PHP's built-in server as the web worker",
    priority: 50,
    programs: [{ name: "php", install: INSTALL_PHP }],
    detect: detectPhp,
    build: buildPhp,
  };
}

function detectPhp(app: AppSource): Detection {
  const markers = [...(isFile(join(app.dir, "composer.json")) ? ["composer.json"] : []), ...filesEndingWith(app.dir, ".php")];
  return namedOrFound(app, "php", markers, "no composer.json or *.php file");
}

async function buildPhp(context: ToolchainBuildContext): Promise<ToolchainContribution> {
  const { buildDir } = context;
  const php = requireTool("php", context, "php", INSTALL_PHP);
  const contribution = { path: [join(buildDir, "vendor", "bin"), dirname(php)], workers: { web: webWorker(buildDir) } };
  if (!isFile(join(buildDir, "composer.json"))) return contribution;

  const composer = requireTool("composer", context, "php", INSTALL_COMPOSER);
  const cache = cacheOf(context, "php");
  const env: Record<string, string> = { COMPOSER_NO_INTERACTION: "1" };
  if (!context.env.COMPOSER_HOME) env.COMPOSER_HOME = cache.entry("php", "composer");
  if (!context.env.COMPOSER_CACHE_DIR) env.COMPOSER_CACHE_DIR = cache.entry("php", "downloads");
  const args = ["install", "--no-dev", "--no-interaction", "--no-progress", "--optimize-autoloader"];
  await runFetchingStep(context, "LOCAL_INSTALL_FAILED", "composer install", composer, args, OFFLINE_PHP, { env });
  return contribution;
}

/** PHP's built-in server on the app's address and port, in the app's document root. */
function webWorker(buildDir: string): string {
  const root = DOCUMENT_ROOTS.find((dir) => isDirectory(join(buildDir, dir))) ?? ".";
  return `php -S "$BIND_ADDRESS:$PORT" -t ${root}`;
}
