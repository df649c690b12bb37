/** The contract between the `deckcast` dispatcher (main.ts) and its subcommand modules. */

/** Where a command writes and what it reads from the environment (injectable for tests). */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/**
 * What a subcommand module exports. `run` gets the arguments after the command name and
 * returns the exit code; it throws {@link UsageError} for bad arguments (exit 2) and any
 * other error for failures (exit 1).
 *
 * The dispatcher also accepts the simpler shape `export default async (args) => exitCode`
 * (the command then prints its own usage and uses the process's stdio).
 */
export interface CommandModule {
  /** One line for `deckcast --help`. */
  summary?: string;
  /** Usage lines without the leading "deckcast ". */
  usage?: string[];
  run?(args: string[], io: CliIO): Promise<number>;
  default?(args: string[]): Promise<number>;
}

/** Bad command-line arguments: the dispatcher prints the message and the usage, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
