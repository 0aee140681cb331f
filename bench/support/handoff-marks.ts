import type { Msg, NatsConnection, SubscriptionOptions } from '@nats-io/nats-core';
import { BYTE_LEVEL_TOKEN_IDS, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';

/** The instants of one handoff, in performance.now() ms, in the order they happen. */
export const HANDOFF_MARKS = ['callSeen', 'routed', 'workerReceived', 'engineStart', 'firstLlmToken', 'slmResumed'] as const;
export type HandoffMark = (typeof HANDOFF_MARKS)[number];
export type HandoffRecord = Record<HandoffMark, number>;

const END_CALL = BYTE_LEVEL_TOKEN_IDS.END_CALL;

/**
 * Timestamps of the handoffs of a benchmark that runs one generation at a
 * time (so at most one handoff is open). `callSeen` opens a record; each
 * later mark is kept the first time it is seen; `slmResumed` closes it.
 */
export class HandoffMarks {
  readonly records: HandoffRecord[] = [];
  private open: Partial<HandoffRecord> | undefined;

  mark(name: HandoffMark): void {
    const now = performance.now();
    if (name === 'callSeen') {
      this.open = { callSeen: now };
      return;
    }
    if (this.open === undefined || this.open[name] !== undefined) return;
    this.open[name] = now;
    if (name === 'slmResumed') {
      const record = this.open;
      this.open = undefined;
      if (HANDOFF_MARKS.every((m) => record[m] !== undefined)) this.records.push(record as HandoffRecord);
    }
  }
}

const isRelaySubject = (subject: string): boolean => subject.startsWith('relayllm.llm.') && !subject.includes('.cancel.');

/** A NatsConnection whose publish of a relay request is marked `routed` (the pool has chosen the worker and sends). */
export function tapPublish(nc: NatsConnection, marks: HandoffMarks): NatsConnection {
  return new Proxy(nc, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === 'publish') {
        return (subject: string, ...rest: unknown[]) => {
          if (isRelaySubject(subject)) marks.mark('routed');
          return (value as (...args: unknown[]) => unknown).call(target, subject, ...rest);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A NatsConnection whose relay-request subscriptions mark `workerReceived` when a message arrives. */
export function tapSubscriptions(nc: NatsConnection, marks: HandoffMarks): NatsConnection {
  return new Proxy(nc, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === 'subscribe') {
        return (subject: string, options?: SubscriptionOptions) => {
          const callback = options?.callback;
          if (callback === undefined || !isRelaySubject(subject)) return target.subscribe(subject, options);
          return target.subscribe(subject, {
            ...options,
            callback: (error: Error | null, msg: Msg) => {
              if (error === null) marks.mark('workerReceived');
              callback(error, msg);
            },
          });
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The SLM as the relay sees it: marks the chunk carrying `</call>` (callSeen) and the first tokens after it (slmResumed). */
export function timedSlm<E extends Engine>(engine: E, marks: HandoffMarks): Engine {
  return {
    start: () => engine.start(),
    close: () => engine.close(),
    release: (sequenceId: string) => engine.release(sequenceId),
    generate: (request: EngineRequest, signal: AbortSignal) =>
      (async function* (): AsyncGenerator<EngineChunk> {
        for await (const chunk of engine.generate(request, signal)) {
          if (chunk.tokens.length > 0) marks.mark('slmResumed');
          if (chunk.tokens.includes(END_CALL)) marks.mark('callSeen');
          yield chunk;
        }
      })(),
  };
}

/** The LLM pool as the relay sees it: marks its first chunk (firstLlmToken). */
export function timedPool(pool: Engine, marks: HandoffMarks): Engine {
  return {
    start: () => pool.start(),
    close: () => pool.close(),
    release: (sequenceId: string) => pool.release(sequenceId),
    generate: (request: EngineRequest, signal: AbortSignal) =>
      (async function* (): AsyncGenerator<EngineChunk> {
        let first = true;
        for await (const chunk of pool.generate(request, signal)) {
          if (first) marks.mark('firstLlmToken');
          first = false;
          yield chunk;
        }
      })(),
  };
}
