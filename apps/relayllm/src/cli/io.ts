/** Where the CLI writes (process streams in main; captured ones in specs). */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown };
}

/** Log lines (addresses, shutdown) go to stderr, so that stdout carries only answers. */
export function log(io: CliIo, message: string): void {
  io.stderr.write(`relayllm: ${message}\n`);
}
