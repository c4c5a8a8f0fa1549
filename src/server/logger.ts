/** Where the server and CLI write what happens. The default writes to stderr. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Plain lines on stderr, prefixed with the level. */
export const consoleLogger: Logger = {
  info: (message) => process.stderr.write(`info  ${message}\n`),
  warn: (message) => process.stderr.write(`warn  ${message}\n`),
  error: (message) => process.stderr.write(`error ${message}\n`),
};

/** Drops everything (tests, embedding). */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
