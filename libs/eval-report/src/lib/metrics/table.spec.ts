import { makeSummary } from '../../testing/fixtures';
import { computeMetrics, type LoadedRun } from './table';

const run = (dir: string, sweep: string | null, over: Parameters<typeof makeSummary>[0]): LoadedRun => ({
  dir,
  sweep,
  summary: makeSummary(over),
});

const baselineRuns = [
  run('slm', null, { policy: 'slm', label: 'slm', accuracy: 0.4, llm_token_ratio: 0 }),
  run('llm', null, { policy: 'llm', label: 'llm', accuracy: 0.6, llm_token_ratio: 1 }),
];

describe('computeMetrics', () => {
  it('computes per-run PGR and one curve per sweep, without curves for the baselines', () => {
    const t = computeMetrics([
      ...baselineRuns,
      run('s/a', 's', { label: 'a', accuracy: 0.5, llm_token_ratio: 0.1 }),
      run('s/b', 's', { label: 'b', accuracy: 0.56, llm_token_ratio: 0.3 }),
    ]);
    expect(t.runs.map((r) => r.pgr)).toEqual([0, 1, expect.closeTo(0.5), expect.closeTo(0.8)]);
    expect(t.curves).toHaveLength(1);
    expect(t.curves[0]).toMatchObject({ curve: 's', policy: 'relay', points: 2 });
    expect(t.curves[0].shareAtPgr50).toBeCloseTo(0.1);
    expect(t.curves[0].shareAtPgr80).toBeCloseTo(0.3);
    // (0,0)-(0.1,0.5): 0.025; -(0.3,0.8): 0.13; -(1,1): 0.63.
    expect(t.curves[0].apgr).toBeCloseTo(0.785);
    expect(t.notes).toEqual([]);
  });

  it('groups top-level runs of one policy and dataset into one curve', () => {
    const t = computeMetrics([
      ...baselineRuns,
      run('r1', null, { label: 'r1', llm_token_ratio: 0.1 }),
      run('r2', null, { label: 'r2', llm_token_ratio: 0.2 }),
      run('u', null, { policy: 'uncertainty', label: 'u' }),
    ]);
    expect(t.curves.map((c) => [c.curve, c.points])).toEqual([
      ['gsm8k/relay', 2],
      ['gsm8k/uncertainty', 1],
    ]);
  });

  it('keeps runs of one policy on different checkpoints (summary.model) in separate curves', () => {
    const t = computeMetrics([
      ...baselineRuns,
      run('w', null, { label: 'warm-up:relay', model: 'warm-up', llm_token_ratio: 0.3 }),
      run('g', null, { label: 'relay', llm_token_ratio: 0.1 }),
    ]);
    expect(t.curves.map((c) => [c.curve, c.points])).toEqual([
      ['gsm8k/warm-up:relay', 1],
      ['gsm8k/relay', 1],
    ]);
  });

  it('leaves relative metrics null with a note when a dataset lacks a baseline', () => {
    const t = computeMetrics([baselineRuns[0], run('r', null, { label: 'r' })]);
    expect(t.runs[1]).toMatchObject({ pgr: null, costReduction: null, accuracyEdge: null });
    expect(t.curves[0].apgr).toBeNull();
    expect(t.notes).toEqual([expect.stringContaining('needs both an slm and an llm run')]);
  });

  it('uses the first baseline run per dataset and notes the others', () => {
    const t = computeMetrics([
      ...baselineRuns,
      run('slm2', null, { policy: 'slm', label: 'slm2', accuracy: 0.1, llm_token_ratio: 0 }),
    ]);
    expect(t.baselines['gsm8k'].slm.accuracy).toBe(0.4);
    expect(t.notes).toEqual([expect.stringContaining('slm2 ignored')]);
  });
});
