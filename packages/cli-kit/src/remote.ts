import type { CliCommand, CliIO, CliOptionSpec, ParsedArgs, StepReporter } from "@hop3/core/cli";

/**
 * What a program needs to run its app commands on another server (`--remote NAME`, HOP3_REMOTE)
 * and to be that server (`deploy --receive APP`). The shell only asks; @hop3/remote answers (the
 * transport, the upload, the remotes), so a program without it installs none of that.
 */
export interface RemoteSupport {
  /** The remote protocol it speaks, said by `version --json`. */
  readonly protocol: number;
  /**
   * The client's word before a command, `--protocol=N`: says this program's version on stderr (the
   * handshake, its first line), and false when N is not the protocol it speaks: then nothing runs.
   */
  handshake(word: string, io: CliIO, version: string): boolean;
  /** Its own commands: `remote add|list|remove|default`. */
  readonly commands: readonly CliCommand[];
  /** The options it adds to a command: --remote to app commands, --head and --receive to those that upload. */
  optionsFor(command: CliCommand): CliOptionSpec;
  /**
   * Before a command runs: runs it on a remote (its exit code), or prepares what it reads here (the
   * arguments to run it with, e.g. the received source as its DIR), or leaves it alone (undefined).
   */
  route(request: RemoteRouteRequest): Promise<RemoteRoute | undefined>;
}

export interface RemoteRouteRequest {
  readonly command: CliCommand;
  readonly args: ParsedArgs;
  /** The command's words after its name, as typed. */
  readonly argv: readonly string[];
  readonly io: CliIO;
  readonly reporter: StepReporter;
  /** The program's version, for the version handshake. */
  readonly version: string;
  /**
   * Starts loading the distribution the command runs with, without waiting for it (a failure shows
   * when the command asks for it): the server's end calls it before it reads an upload, so the two
   * overlap.
   */
  readonly preload: () => void;
}

export type RemoteRoute = { readonly exitCode: number } | { readonly args: ParsedArgs; dispose?(): void };
