import type { Detection, LanguageToolchain } from "@hop3/core";

/**
 * The toolchain of last resort: detected only when hop3.toml `[build] toolchain = "generic"`;
 * the builder runs the `[build] build` commands, as for every app. It contributes nothing else.
 */
export function createGenericToolchain(): LanguageToolchain {
  return {
    apiVersion: 1,
    name: "generic",
    description: "Runs the hop3.toml [build] build commands; only when named",
    priority: 80,
    detect(app): Detection {
      return app.config.toolchain === "generic"
        ? { detected: true, files: app.config.files.hop3Toml ? ["hop3.toml"] : [], reason: "named by hop3.toml [build] toolchain" }
        : { detected: false, files: [], reason: 'only when hop3.toml [build] toolchain is "generic"' };
    },
    build: async () => ({}),
  };
}
