import { accuracyEdgeAtEqualCost, costReductionAtMatchedAccuracy } from './compare';
import { apgr, pgr, shareAtPgr } from './pgr';
import { routerAccuracy, routerFractionForAccuracy, routerFractionForShare, routerShare } from './random-router';
import type { Baselines } from './types';

const equal: Baselines = { slm: { accuracy: 0.4, meanResponseTokens: 200 }, llm: { accuracy: 0.6, meanResponseTokens: 200 } };
// The LLM answers three times as long as the SLM.
const verbose: Baselines = { slm: { accuracy: 0.4, meanResponseTokens: 100 }, llm: { accuracy: 0.6, meanResponseTokens: 300 } };

describe('pgr', () => {
  it('is 0 at the SLM, 1 at the LLM, linear between, and may leave [0, 1]', () => {
    expect(pgr(0.4, equal)).toBe(0);
    expect(pgr(0.6, equal)).toBe(1);
    expect(pgr(0.5, equal)).toBeCloseTo(0.5);
    expect(pgr(0.3, equal)).toBeCloseTo(-0.5);
    expect(pgr(0.7, equal)).toBeCloseTo(1.5);
  });

  it('is null when the baselines tie', () => {
    expect(pgr(0.5, { slm: equal.slm, llm: { ...equal.llm, accuracy: 0.4 } })).toBeNull();
  });
});

describe('apgr', () => {
  it('is 0.5 for points on the diagonal (the equal-length random router) and for no points', () => {
    expect(apgr([])).toBeCloseTo(0.5);
    expect(apgr([{ share: 0.25, pgr: 0.25 }, { share: 0.7, pgr: 0.7 }])).toBeCloseTo(0.5);
  });

  it('is the trapezoid area through (0,0), the sorted points and (1,1)', () => {
    // (0,0)-(0.1,0.6): 0.03; (0.1,0.6)-(0.5,0.8): 0.28; (0.5,0.8)-(1,1): 0.45.
    const points = [{ share: 0.5, pgr: 0.8 }, { share: 0.1, pgr: 0.6 }];
    expect(apgr(points)).toBeCloseTo(0.76, 12);
  });

  it('approaches 1 when PGR 1 is reached at almost no cost, and clamps shares to [0, 1]', () => {
    expect(apgr([{ share: 0, pgr: 1 }])).toBeCloseTo(1);
    expect(apgr([{ share: 1.02, pgr: 1 }])).toBeCloseTo(0.5);
  });
});

describe('shareAtPgr', () => {
  const curve = [{ share: 0.01, pgr: 0.6 }, { share: 0.05, pgr: 0.7 }, { share: 0.2, pgr: 0.9 }];

  it('interpolates linearly from (0, 0) along the sorted points', () => {
    expect(shareAtPgr(curve, 0.5)).toBeCloseTo((0.5 / 0.6) * 0.01, 12);
    expect(shareAtPgr(curve, 0.8)).toBeCloseTo(0.05 + 0.5 * 0.15, 12);
    expect(shareAtPgr(curve, 0.9)).toBeCloseTo(0.2, 12);
  });

  it('is null when the curve never reaches the target (no implicit (1, 1) endpoint)', () => {
    expect(shareAtPgr([{ share: 0.3, pgr: 0.45 }], 0.5)).toBeNull();
    expect(shareAtPgr([], 0.5)).toBeNull();
  });

  it('takes the first crossing on a non-monotone curve', () => {
    const wobbly = [{ share: 0.1, pgr: 0.6 }, { share: 0.2, pgr: 0.3 }, { share: 0.4, pgr: 0.9 }];
    expect(shareAtPgr(wobbly, 0.5)).toBeCloseTo((0.5 / 0.6) * 0.1, 12);
  });
});

describe('analytic random router', () => {
  it('with equal lengths, share = p', () => {
    for (const p of [0, 0.1, 0.5, 1]) expect(routerShare(p, equal)).toBeCloseTo(p, 12);
  });

  it('weights the share by response lengths: p·L_llm / ((1−p)·L_slm + p·L_llm)', () => {
    expect(routerShare(0.5, verbose)).toBeCloseTo(150 / 200, 12);
    expect(routerShare(0.25, verbose)).toBeCloseTo(75 / 150, 12);
    expect(routerAccuracy(0.25, verbose)).toBeCloseTo(0.45, 12);
  });

  it('routerFractionForShare inverts routerShare', () => {
    for (const p of [0, 0.05, 0.3, 0.77, 1]) {
      expect(routerFractionForShare(routerShare(p, verbose), verbose)).toBeCloseTo(p, 12);
    }
  });

  it('cannot match an accuracy outside [acc_slm, acc_llm]', () => {
    expect(routerFractionForAccuracy(0.5, equal)).toBeCloseTo(0.5);
    expect(routerFractionForAccuracy(0.39, equal)).toBeNull();
    expect(routerFractionForAccuracy(0.61, equal)).toBeNull();
  });
});

describe('comparisons against the router', () => {
  it('cost reduction uses the length-weighted router share', () => {
    // acc 0.5 → p* = 0.5 → verbose router share 0.75; policy share 0.15 → 1 − 0.15/0.75.
    expect(costReductionAtMatchedAccuracy(0.5, 0.15, verbose)).toBeCloseTo(0.8, 12);
    expect(costReductionAtMatchedAccuracy(0.5, 0.15, equal)).toBeCloseTo(0.7, 12);
  });

  it('cost reduction is null below the SLM, above the LLM and at the SLM itself', () => {
    expect(costReductionAtMatchedAccuracy(0.35, 0.1, equal)).toBeNull();
    expect(costReductionAtMatchedAccuracy(0.65, 0.1, equal)).toBeNull();
    expect(costReductionAtMatchedAccuracy(0.4, 0, equal)).toBeNull();
  });

  it('a policy worse than the router at the same spend has a negative cost reduction and edge', () => {
    expect(costReductionAtMatchedAccuracy(0.45, 0.5, equal)).toBeCloseTo(1 - 0.5 / 0.25, 12);
    expect(accuracyEdgeAtEqualCost(0.45, 0.5, equal)).toBeCloseTo(-0.05, 12);
  });

  it('accuracy edge compares with the router that spends the same share', () => {
    // verbose: share 0.5 → p = 0.5·100 / (0.5·300 + 0.5·100) = 0.25 → router acc 0.45.
    expect(accuracyEdgeAtEqualCost(0.5, 0.5, verbose)).toBeCloseTo(0.05, 12);
  });
});
