/** Where the CLI writes (process streams in main; captured ones in specs). */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown };
}

/** Log lines (addresses, shutdown) go to stderr, so that stdout carries only answers. */
export function log(io: CliIo, message: string): void {
  io.stderr.write(`relayllm: ${message}\n`);
}

/** The process streams the CLI writes to, as far as closing goes. */
export interface ClosableStream {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Tells the command that its reader went away (`relayllm generate … | head -1`). */
export interface OutputWatch {
  /** Aborted when stdout's reader has closed the pipe: nobody reads the answer, so the work stops. */
  closed: AbortSignal;
}

const isClosedPipe = (error: Error): boolean => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
};

/**
 * Turns a closed pipe into a quiet stop instead of an unhandled 'error' event
 * (a stack trace about EPIPE after the reader already has what it wanted).
 * stdout closing aborts `closed`; stderr closing only loses the log lines, the
 * answer still goes out. Any other stream error is a real failure and is rethrown.
 */
export function watchOutput(stdout: ClosableStream, stderr: ClosableStream): OutputWatch {
  const controller = new AbortController();
  const onError =
    (abortOnClose: boolean) =>
    (error: Error): void => {
      if (!isClosedPipe(error)) throw error;
      if (abortOnClose) controller.abort();
    };
  stdout.on('error', onError(true));
  stderr.on('error', onError(false));
  return { closed: controller.signal };
}
