import type { CallerContext, RelayServiceHandler } from '@relayllm/front-door';
import type { RelayRequest, RelayStreamEvent } from '@relayllm/relay-core';

/**
 * TEST DOUBLE: a front door that yields the given events, then throws
 * `failWith` when set. It records what it was called with, and stops at
 * once when its signal is aborted (as the front door's contract says).
 */
export class EventsHandlerFake implements RelayServiceHandler {
  readonly calls: Array<{ request: RelayRequest; signal: AbortSignal; caller: CallerContext }> = [];
  /** Set once a generation's iterator was closed (return() or the end). */
  closed = 0;

  constructor(
    private readonly events: readonly RelayStreamEvent[],
    private readonly failWith?: unknown,
  ) {}

  generate(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncIterable<RelayStreamEvent> {
    this.calls.push({ request, signal, caller });
    return this.run(signal);
  }

  private async *run(signal: AbortSignal): AsyncGenerator<RelayStreamEvent> {
    try {
      for (const event of this.events) {
        if (signal.aborted) return;
        await Promise.resolve();
        yield event;
      }
      if (this.failWith !== undefined) throw this.failWith;
    } finally {
      this.closed += 1;
    }
  }
}
