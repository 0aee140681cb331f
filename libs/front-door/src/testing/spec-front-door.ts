import { GenerationStateStore, InMemoryKeyValueStore } from '@relayllm/relay-cluster';
import { DEFAULT_SERVER_LIMITS, referenceModels, type Engine } from '@relayllm/relay-core';
import { ManualClock } from '@relayllm/relay-core/testing';
import { RelayFrontDoor, type FrontDoorOptions } from '../lib/relay-front-door';

/** A front door for unit specs: the reference pair's profile over the given engines, state in memory, a manual clock. */
export function specFrontDoor(slm: Engine, llm: Engine, over: Partial<FrontDoorOptions> = {}): RelayFrontDoor {
  const clock = new ManualClock();
  const store = new InMemoryKeyValueStore({ clock });
  return new RelayFrontDoor({
    engines: { slm, llm },
    models: referenceModels(64),
    limits: DEFAULT_SERVER_LIMITS,
    requestTimeoutMs: 60_000,
    resumable: false,
    generations: new GenerationStateStore({ store, owner: 'spec', clock, leaseMs: 60_000, runningTtlMs: 120_000 }),
    clock,
    ...over,
  });
}
