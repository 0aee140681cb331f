/** A wait on a signal: `promise` resolves with the given value when it aborts; `dispose` stops listening. */
export interface AbortWait<T> {
  readonly promise: Promise<T>;
  dispose(): void;
}

/** Resolves with `value` once `signal` aborts (at once if it has), for racing a pending step against it. */
export function whenAborted<T>(signal: AbortSignal, value: T): AbortWait<T> {
  let onAbort = (): void => undefined;
  const promise = new Promise<T>((resolve) => {
    onAbort = () => resolve(value);
    if (signal.aborted) resolve(value);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/**
 * Iterates `source` but returns as soon as `signal` is aborted, even when the
 * source is stuck inside next() and ignores the signal: the pending next() is
 * raced against the abort. The source is then told to clean up (return())
 * without waiting for it, so a misbehaving engine cannot delay cancellation.
 */
export async function* abortableIteration<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T, void, undefined> {
  if (signal.aborted) return;
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  const aborted = whenAborted(signal, 'aborted' as const);
  try {
    for (;;) {
      const next = iterator.next();
      // A next() that loses the race may still reject later: keep that from
      // surfacing as an unhandled rejection.
      next.catch(() => undefined);
      const result = await Promise.race([next, aborted.promise]);
      if (result === 'aborted') return;
      if (result.done === true) {
        finished = true;
        return;
      }
      yield result.value;
      if (signal.aborted) return;
    }
  } finally {
    aborted.dispose();
    if (!finished && iterator.return !== undefined) {
      // Not awaited: an async generator parked in next() would only run
      // return() after that next() settles, i.e. possibly never.
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => undefined);
    }
  }
}
