/** Where a command writes: lines to stdout and stderr (tests capture them). */
export interface CommandIO {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Whether stderr is a terminal (progress bars). */
  readonly interactive: boolean;
}

/** One `tessera` subcommand, in a file of its own. Returns the exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly help: string;
  run(args: readonly string[], io: CommandIO): Promise<number>;
}
