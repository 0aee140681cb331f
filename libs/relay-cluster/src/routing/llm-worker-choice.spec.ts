import { chooseLlmRoute, isReissuableLlmFailure, llmAckTimeoutMs, llmAttemptTimeoutMs, type LlmWorkerLoad } from './llm-worker-choice';

const w = (workerId: string, activeSequences = 0, maxSequences = 2): LlmWorkerLoad => ({ workerId, activeSequences, maxSequences });

describe('chooseLlmRoute', () => {
  it('first attempt: the affinity worker when live and not full', () => {
    expect(chooseLlmRoute({ affinityWorkerId: 'b', live: [w('a'), w('b', 1)], attempt: 1 })).toEqual({ kind: 'worker', workerId: 'b' });
  });

  it('first attempt: the queue group without affinity, or when that worker is gone, full or failed', () => {
    expect(chooseLlmRoute({ live: [w('a')], attempt: 1 })).toEqual({ kind: 'queue' });
    expect(chooseLlmRoute({ affinityWorkerId: 'gone', live: [w('a')], attempt: 1 })).toEqual({ kind: 'queue' });
    expect(chooseLlmRoute({ affinityWorkerId: 'a', live: [w('a', 2, 2), w('b')], attempt: 1 })).toEqual({ kind: 'queue' });
    expect(chooseLlmRoute({ affinityWorkerId: 'a', live: [w('a')], exclude: new Set(['a']), attempt: 1 })).toEqual({ kind: 'queue' });
  });

  it('reissue: the least-loaded other worker with room, else the queue group', () => {
    const live = [w('a', 1, 2), w('b', 0, 2), w('c', 0, 4), w('d', 3, 3)];
    expect(chooseLlmRoute({ affinityWorkerId: 'a', live, exclude: new Set(['b']), attempt: 2 })).toEqual({ kind: 'worker', workerId: 'c' });
    expect(chooseLlmRoute({ live, attempt: 2 })).toEqual({ kind: 'worker', workerId: 'b' });
    expect(chooseLlmRoute({ live: [w('a', 2, 2)], attempt: 3 })).toEqual({ kind: 'queue' });
    expect(chooseLlmRoute({ live: [], attempt: 2 })).toEqual({ kind: 'queue' });
  });
});

describe('reissue arithmetic', () => {
  it('reissues only where another worker can help', () => {
    expect(isReissuableLlmFailure('resource_exhausted')).toBe(true);
    expect(isReissuableLlmFailure('unavailable')).toBe(true);
    for (const kind of ['invalid_argument', 'cancelled', 'deadline_exceeded', 'internal', 'failed_precondition', 'not_found'] as const) {
      expect(isReissuableLlmFailure(kind)).toBe(false);
    }
  });

  it('an attempt waits the per-attempt bound cut to the deadline', () => {
    expect(llmAttemptTimeoutMs(1_000, 500)).toBe(500);
    expect(llmAttemptTimeoutMs(1_000, 500, 1_200)).toBe(200);
    expect(llmAttemptTimeoutMs(1_000, 500, 900)).toBe(0);
  });

  it('before the ack, the ack deadline applies only when it is shorter than the attempt', () => {
    expect(llmAckTimeoutMs(60_000, 2_000)).toBe(2_000);
    // A short attempt (or one cut by the call deadline) already bounds the wait for the ack.
    expect(llmAckTimeoutMs(1_500, 2_000)).toBeUndefined();
    expect(llmAckTimeoutMs(2_000, 2_000)).toBeUndefined();
    // No ack deadline configured: the attempt timeout alone.
    expect(llmAckTimeoutMs(60_000, 0)).toBeUndefined();
    expect(llmAckTimeoutMs(60_000)).toBeUndefined();
  });
});
