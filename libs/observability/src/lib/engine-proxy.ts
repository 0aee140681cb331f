import type { Engine, LlmPool } from '@relayllm/relay-core';

/**
 * `engine` with generate() replaced; every other member (start, close, and
 * extras hosts duck-type, e.g. LlamaCppEngine.busySequences() or
 * contextSize) is the engine's own, bound to it. An engine that is also an
 * LlmPool (test doubles) loses `relay`: runRelay would call it instead of the
 * wrapped generate.
 */
export function withGenerate<E extends Engine>(engine: E, generate: Engine['generate']): E {
  return new Proxy(engine, {
    has: (target, property) => property !== 'relay' && Reflect.has(target, property),
    get(target, property) {
      if (property === 'generate') return generate;
      if (property === 'relay') return undefined;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `pool` with relay() replaced; its other members (e.g. close()) stay its own, bound to it. */
export function withRelay<P extends LlmPool>(pool: P, relay: LlmPool['relay']): P {
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'relay') return relay;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
