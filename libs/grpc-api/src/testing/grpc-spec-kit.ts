import type { ServiceError } from '@grpc/grpc-js';
import type { CallerContext, RelayServiceHandler } from '@relayllm/front-door';
import { Source, type GenerateEvent } from '@relayllm/proto';
import { runRelay, type RelayRequest, type RelayStreamEvent, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import { ManualClock, ScriptedEngine, type ScriptedOutput } from '@relayllm/relay-core/testing';

/** runRelay over fresh scripted engines, recording what the adapter handed it. */
export class RecordingRelayHandlerFake implements RelayServiceHandler {
  readonly requests: RelayRequest[] = [];
  readonly signals: AbortSignal[] = [];
  /** The caller each generate was given. */
  readonly calls: CallerContext[] = [];
  /** Date.now() when each call's signal was aborted. */
  readonly abortedAt: Array<number | undefined> = [];
  slm = new ScriptedEngine([]);
  llm = new ScriptedEngine([]);
  private abortWaiters: Array<() => void> = [];

  script(slm: ReadonlyArray<string | ScriptedOutput>, llm: ReadonlyArray<string | ScriptedOutput> = []): this {
    this.slm = new ScriptedEngine(slm);
    this.llm = new ScriptedEngine(llm);
    return this;
  }

  generate(request: RelayRequest, signal: AbortSignal, call: CallerContext): AsyncIterable<RelayStreamEvent> {
    const index = this.signals.length;
    this.requests.push(request);
    this.calls.push(call);
    this.signals.push(signal);
    this.abortedAt.push(undefined);
    signal.addEventListener(
      'abort',
      () => {
        this.abortedAt[index] = Date.now();
        for (const wake of this.abortWaiters.splice(0)) wake();
      },
      { once: true },
    );
    return runRelay({ slm: this.slm, llm: this.llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, signal);
  }

  /** Resolves with Date.now() of the first call's abort (rejects after 2 s). */
  firstAbort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const at = this.abortedAt[0];
        if (at !== undefined) {
          clearTimeout(timer);
          resolve(at);
        }
      };
      const timer = setTimeout(() => reject(new Error('the handler signal was not aborted within 2 s')), 2000);
      this.abortWaiters.push(check);
      check();
    });
  }
}

/** One line per event: `SOURCE:text`, `started:i:n/granted`, `finished:i:written`, or the event's case. */
export const summary = (events: GenerateEvent[]): string[] =>
  events.map(({ event }) => {
    switch (event?.$case) {
      case 'text':
        return `${Source[event.value.source]}:${event.value.text}`;
      case 'relayStarted':
        return `started:${event.value.callIndex}:${event.value.requestedN}/${event.value.grantedN}`;
      case 'relayFinished':
        return `finished:${event.value.callIndex}:${event.value.tokensWritten}`;
      default:
        return event?.$case ?? 'none';
    }
  });

export async function collect(stream: AsyncIterable<GenerateEvent>): Promise<GenerateEvent[]> {
  const events: GenerateEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Resolves with the error a call failed with. */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call did not fail');
}

/** Polls `condition` every 5 ms; throws after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
