import { context, type Context } from '@opentelemetry/api';

export interface IterationHooks<T> {
  onValue?(value: T): void;
  /** Once: after the last value, on an error (given), or when the consumer returns early. */
  onEnd?(error?: unknown): void;
}

/**
 * `iterable` with each next() run inside `ctx` (so spans started by the
 * source, and NATS/gRPC injections, see it as their parent) and hooks told of
 * values and the end. A plain iterator, not an async generator: return() is
 * forwarded at once, even while a next() is pending, so the source's
 * cancellation behaves exactly as without the wrapper.
 */
export function observeIterable<T>(iterable: AsyncIterable<T>, ctx: Context, hooks: IterationHooks<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const it = context.with(ctx, () => iterable[Symbol.asyncIterator]());
      let ended = false;
      const end = (error?: unknown): void => {
        if (ended) return;
        ended = true;
        hooks.onEnd?.(error);
      };
      return {
        next: async () => {
          try {
            const result = await context.with(ctx, () => it.next());
            if (result.done === true) end();
            else hooks.onValue?.(result.value);
            return result;
          } catch (error) {
            end(error ?? new Error('iteration failed'));
            throw error;
          }
        },
        return: async (value?: unknown) => {
          end();
          const close = it.return?.bind(it);
          if (close !== undefined) return context.with(ctx, () => close(value));
          return { done: true as const, value: value as T };
        },
      };
    },
  };
}
