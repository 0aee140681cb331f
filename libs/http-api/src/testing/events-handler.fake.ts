import type { CallerContext, RelayServiceHandler } from '@relayllm/front-door';
import type { RelayRequest, RelayStreamEvent } from '@relayllm/relay-core';

/** What one generation of a scripted fake does: yields `events`, then throws `failWith` when set, or with `untilAborted` waits for its signal. */
export interface ScriptedGeneration {
  events: readonly RelayStreamEvent[];
  failWith?: unknown;
  untilAborted?: boolean;
}

/**
 * TEST DOUBLE: a front door that yields the given events, then throws
 * `failWith` when set (or, `scripted`, does what a script says for each
 * request). It records what it was called with, and stops at once when its
 * signal is aborted (as the front door's contract says).
 */
export class EventsHandlerFake implements RelayServiceHandler {
  readonly calls: Array<{ request: RelayRequest; signal: AbortSignal; caller: CallerContext }> = [];
  /** Set once a generation's iterator was closed (return() or the end). */
  closed = 0;
  private script: (request: RelayRequest) => ScriptedGeneration;

  constructor(events: readonly RelayStreamEvent[], failWith?: unknown) {
    this.script = () => ({ events, failWith });
  }

  /** A fake whose every generation does what `script` says for its request. */
  static scripted(script: (request: RelayRequest) => ScriptedGeneration): EventsHandlerFake {
    const fake = new EventsHandlerFake([]);
    fake.script = script;
    return fake;
  }

  generate(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncIterable<RelayStreamEvent> {
    this.calls.push({ request, signal, caller });
    return this.run(this.script(request), signal);
  }

  private async *run(generation: ScriptedGeneration, signal: AbortSignal): AsyncGenerator<RelayStreamEvent> {
    try {
      for (const event of generation.events) {
        if (signal.aborted) return;
        await Promise.resolve();
        yield event;
      }
      if (generation.failWith !== undefined) throw generation.failWith;
      if (generation.untilAborted === true && !signal.aborted) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      }
    } finally {
      this.closed += 1;
    }
  }
}
