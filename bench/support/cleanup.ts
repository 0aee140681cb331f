/**
 * Runs `cleanup` once: when the benchmark ends, or when it is interrupted
 * (SIGINT/SIGTERM), so that no child process (nats-server, redis-server, the
 * worker process) outlives it. Returns the function to call at the end.
 */
export function cleanupOnce(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const run = (): Promise<void> => (done ??= cleanup().catch((error: unknown) => console.error(`cleanup: ${String(error)}`)));
  const onSignal = (signal: NodeJS.Signals): void => {
    void run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return async () => {
    await run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
