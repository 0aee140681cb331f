import { WorkerKind } from '@relayllm/proto';
import type { LiveWorker } from '@relayllm/nats-transport';
import { modelPools, unreachablePool } from './nats-backends';

const pools = modelPools({ slmModel: 'slm', llmModel: 'llm' });
const worker = (kind: WorkerKind, model: string): LiveWorker => ({
  workerId: `${model}-1`,
  kind,
  model,
  address: '',
  maxSequences: 4,
  activeSequences: 4,
  intervalMs: 1_000,
  descriptionHash: '',
  lastSeenMs: 0,
});

/** A registry listing `workers`, hearing or not. */
const registry = (workers: LiveWorker[], hearing = true) => ({
  hearing,
  live: (kind: WorkerKind, model: string) => workers.filter((w) => w.kind === kind && w.model === model),
});

describe('unreachablePool (outage, not overload)', () => {
  const slm = worker(WorkerKind.WORKER_KIND_SLM, 'slm');
  const llm = worker(WorkerKind.WORKER_KIND_LLM, 'llm');

  it('a role with no live worker is an outage with that role\'s reason; full workers are not', () => {
    expect(unreachablePool(registry([llm]), pools)).toMatchObject({ kind: 'unavailable', reason: 'NO_SLM_WORKER' });
    expect(unreachablePool(registry([slm]), pools)).toMatchObject({ kind: 'unavailable', reason: 'NO_LLM_WORKER' });
    expect(unreachablePool(registry([slm, llm]), pools)).toBeUndefined(); // both full (4 of 4): overload, not an outage
  });

  it('says when none can be heard (the NATS link is down)', () => {
    expect(unreachablePool(registry([], false), pools)?.message).toBe('no SLM worker of "slm" is live (the NATS connection is down: none can be heard)');
  });
});
