import { asyncRelay, lockstep, type ScheduleSettings } from './schedules';
import { simulatedWorkload, slmSegments, type SimulatedGeneration } from './simulated-workload';

const settings: ScheduleSettings = { concurrency: 2, cost: 'step', slmMs: 5, llmMs: 20, maxBatch: 256 };

// g1: 2 tokens, <call>3</call> (3 tokens), the LLM writes 3, then 1 token + EOS. g2: 4 tokens + EOS.
const g1: SimulatedGeneration = { id: 'g1', slmGaps: [2], calls: [3], slmTail: 1 };
const g2: SimulatedGeneration = { id: 'g2', slmGaps: [], calls: [], slmTail: 4 };

describe('bench schedules on virtual time (outputs are computed, not measured)', () => {
  it('cuts an SLM script into segments ending at each </call> and at EOS', () => {
    expect(slmSegments(g1)).toEqual([5, 2]);
    expect(slmSegments({ id: 'x', slmGaps: [1, 0], calls: [40, 7], slmTail: 0 })).toEqual([5, 3, 1]);
  });

  it('lockstep: each phase lasts as long as its longest member', () => {
    const result = lockstep([g1, g2], settings);
    // SLM phase 5 steps (25 ms, g2 ends), LLM phase 3 steps (60 ms), SLM phase 2 steps (10 ms, g1 ends).
    expect(result).toMatchObject({ makespanMs: 95, slmTokens: 10, llmTokens: 3, calls: 1, latencies: [25, 95] });
  });

  it('async: runRelay per generation gives the same schedule when nothing can overlap', async () => {
    const result = await asyncRelay([g1, g2], settings);
    expect(result).toMatchObject({ makespanMs: 95, slmTokens: 10, llmTokens: 3, calls: 1 });
    expect([...result.latencies].sort((a, b) => a - b)).toEqual([25, 95]);
  });

  it('async: a generation does not wait for another one\'s LLM call', async () => {
    const long: SimulatedGeneration = { id: 'long', slmGaps: [1], calls: [10], slmTail: 0 };
    const short: SimulatedGeneration = { id: 'short', slmGaps: [1], calls: [1], slmTail: 0 };
    const a = await asyncRelay([long, short], settings);
    const b = lockstep([long, short], settings);
    // short: 4 SLM tokens (20 ms), 1 LLM step (20..40), EOS (45). long: 5 SLM tokens ("10" is two), its
    // call arrives during short's LLM step and joins the next one: 10 LLM steps (40..240), EOS (245).
    expect([...a.latencies].sort((x, y) => x - y)).toEqual([45, 245]);
    // Lockstep: SLM phase 5 steps (25), LLM phase 10 steps (225), SLM phase 1 step: both end at 230.
    expect(b.latencies).toEqual([230, 230]);
  });

  it('token cost model: a step costs its time per sequence in it, in both schedules', async () => {
    const token: ScheduleSettings = { ...settings, cost: 'token' };
    // SLM: 5 steps of 2 sequences (10 ms each) → 50 ms, g2 ends; LLM: 3 steps of 1 (20 ms) → 110; SLM: 2 steps of 1 → 120.
    expect(lockstep([g1, g2], token)).toMatchObject({ makespanMs: 120, latencies: [50, 120] });
    const a = await asyncRelay([g1, g2], token);
    expect(a.makespanMs).toBe(120);
    expect([...a.latencies].sort((x, y) => x - y)).toEqual([50, 120]);
  });

  it('lockstep: steps past the batch bound run as several sub-batches', () => {
    // 3 sequences, batch bound 2: each SLM step is 2 sub-batches (10 ms); g2 (5 tokens) ends at 50 ms.
    const result = lockstep([g1, g2, { ...g2, id: 'g3' }], { ...settings, concurrency: 3, maxBatch: 2 });
    expect(result.latencies.slice(0, 2)).toEqual([50, 50]);
    expect(result.slm.steps).toBe(10 + 2);
  });

  it('runs the same seeded workload in both schedules (same tokens and calls)', async () => {
    const workload = simulatedWorkload({ generations: 24, callRate: 0.02, minSlmTokens: 64, maxSlmTokens: 192, seed: 3 });
    const a = await asyncRelay(workload, { ...settings, concurrency: 8 });
    const b = lockstep(workload, { ...settings, concurrency: 8 });
    expect([a.slmTokens, a.llmTokens, a.calls]).toEqual([b.slmTokens, b.llmTokens, b.calls]);
    expect(a.calls).toBeGreaterThan(0);
    expect(a.latencies).toHaveLength(24);
  });
});
