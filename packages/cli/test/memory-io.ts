import { memoryIO as streamsInMemory } from "@hop3/cli-kit";

/** The program's streams as strings, with this process's environment (PATH...) under `env`. */
export const memoryIO = (cwd: string, env: Record<string, string | undefined> = {}) => streamsInMemory(cwd, { ...process.env, ...env });
