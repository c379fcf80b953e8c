/**
 * Every injection token, in one place. Many plugins of one kind share one token and are read
 * together (`injectAll`).
 */
export const Hop3Tokens = Object.freeze({
  Builder: Symbol.for("hop3.Builder"),
  Toolchain: Symbol.for("hop3.LanguageToolchain"),
  Deployer: Symbol.for("hop3.Deployer"),
  Router: Symbol.for("hop3.Router"),
  CliCommand: Symbol.for("hop3.CliCommand"),
  Logger: Symbol.for("hop3.Logger"),
  CommandRunner: Symbol.for("hop3.CommandRunner"),
});
