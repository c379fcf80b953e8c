import type { Detection, LanguageToolchain } from "@hop3/core";

/**
 * Static sites: a `static` worker (Procfile `static: public`, hop3.toml [run.workers]) names a
 * directory the proxy serves. Nothing to build; the builder checks the directory exists once
 * every build step has run (a build step may produce it).
 */
export function createStaticToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "static",
    description: "Static files named by a `static` worker",
    priority: 90,
    detect(app): Detection {
      const dir = app.config.workers.static;
      const named = app.config.toolchain;
      if (named !== undefined && named !== "static") return { detected: false, files: [], reason: `hop3.toml [build] toolchain is "${named}"` };
      if (dir === undefined) return { detected: false, files: [], reason: "no static worker" };
      return { detected: true, files: [dir], reason: `static worker serves ${dir}/` };
    },
    build: async () => ({}),
  };
}
