import { makeSummary } from '../../testing/fixtures';
import { parseSummary } from '../io/summary-schema';
import { formatMetricsTable } from '../render/format-table';
import { MAX_CI_HALF_WIDTH, precisionNotes, tooFewItems } from './precision';
import { computeMetrics } from './table';

// A 50-item run at 88% (Wilson 95%: 76.2–94.4%) and the same policy on all 1,200 items (86.1–89.8%).
const small = makeSummary({ label: 'relay', n: 50, accuracy: 0.88, accuracy_ci95: [0.762, 0.944] });
const sampled = makeSummary({
  label: 'relay',
  n: 50,
  accuracy: 0.88,
  accuracy_ci95: [0.762, 0.944],
  sample: { limit: 50, of: 1200, seed: 0, by_level: { '2': { taken: 17, of: 400 }, '3': { taken: 17, of: 400 }, '4': { taken: 16, of: 400 } } },
});
const full = makeSummary({ label: 'relay', n: 1200, accuracy: 0.8708, accuracy_ci95: [0.851, 0.888] });

describe('runs too small for their confidence interval', () => {
  it('flags an interval wider than ±5 points, not a narrower one', () => {
    expect(tooFewItems(small)).toBe(true);
    expect(tooFewItems(full)).toBe(false);
    expect(tooFewItems(makeSummary({ accuracy_ci95: [0.45, 0.449 + 2 * MAX_CI_HALF_WIDTH] }))).toBe(false);
    expect(tooFewItems(makeSummary({ accuracy_ci95: [0.45, 0.451 + 2 * MAX_CI_HALF_WIDTH] }))).toBe(true);
  });

  it('notes the flagged run with its interval, and a --limit sample with what it was drawn from', () => {
    expect(precisionNotes([full])).toEqual([]);
    expect(precisionNotes([sampled])).toEqual([
      'relay: a sample of 50 of 1200 items (--limit 50, seed 0), not the whole dataset',
      'relay: too few items (n=50) for its confidence interval: 95% CI 76.2–94.4% (±9.1 pt, over ±5.0 pt); runs closer than that are not told apart',
    ]);
  });

  it('puts the flag, the sample size and the interval in the printed table', () => {
    const table = computeMetrics([
      { dir: 'runs/slm', sweep: null, summary: makeSummary({ policy: 'slm', label: 'slm', accuracy: 0.67, llm_token_ratio: 0 }) },
      { dir: 'runs/relay', sweep: null, summary: sampled },
    ]);
    expect(table.runs[1]).toMatchObject({ n: 50, sampleOf: 1200, tooFewItems: true, ci95: [0.762, 0.944] });
    expect(table.runs[0]).toMatchObject({ sampleOf: null, tooFewItems: false });
    const text = formatMetricsTable(table);
    expect(text).toMatch(/\nrelay\s+relay\s+gsm8k\s+50 of 1200 ⚠\s+88\.00\s+76\.2–94\.4\s/);
    expect(text).toContain('note: relay: too few items (n=50)');
  });

  it('reads `sample` from summary.json (and still accepts summaries without it)', () => {
    expect(parseSummary(JSON.parse(JSON.stringify(sampled)), 'x').sample).toEqual(sampled.sample);
    expect(parseSummary(JSON.parse(JSON.stringify(full)), 'x').sample).toBeUndefined();
    expect(() => parseSummary({ ...sampled, sample: { limit: -1, of: 10, seed: 0, by_level: null } }, 'bad.json')).toThrow(/sample\.limit/);
  });
});
