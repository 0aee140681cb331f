/** What SIGINT/SIGTERM do to a running command. */
export interface ShutdownSignals {
  /** Aborted by the first SIGINT or SIGTERM (the command winds down gracefully). */
  signal: AbortSignal;
  /** Name of the signal that aborted `signal`. */
  received(): NodeJS.Signals | undefined;
  dispose(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * The first signal asks for a graceful stop; a second one while stopping
 * exits at once (128 + signal number), so a stuck shutdown never needs kill -9.
 */
export function shutdownSignals(onForced: (signal: NodeJS.Signals) => void): ShutdownSignals {
  const controller = new AbortController();
  let first: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (first === undefined) {
      first = signal;
      controller.abort();
    } else {
      onForced(signal);
    }
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    received: () => first,
    dispose: () => {
      for (const s of SIGNALS) process.removeListener(s, handler);
    },
  };
}
