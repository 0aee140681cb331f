/**
 * Recomputes the RelayLLM paper's own arithmetic (Table 1, Qwen3-1.7B student,
 * Qwen3-8B teacher) with this library's functions, to the paper's rounding:
 *   student base 42.50, relay 49.52 at ρ = 1.07% LLM tokens, teacher 54.12.
 * The paper compares against a random router with equal response lengths
 * (routing fraction = token share), so L_slm = L_llm here.
 */
import { accuracyEdgeAtEqualCost, costReductionAtMatchedAccuracy } from './compare';
import { pgr } from './pgr';
import { routerAccuracy, routerFractionForAccuracy, routerFractionForShare, routerShare } from './random-router';
import type { Baselines } from './types';

// Percent in, percent out: the math is scale-free.
const table1: Baselines = {
  slm: { accuracy: 42.5, meanResponseTokens: 1 },
  llm: { accuracy: 54.12, meanResponseTokens: 1 },
};
const relay = { accuracy: 49.52, share: 0.0107 };

const round = (v: number, digits: number) => Number(v.toFixed(digits));

describe('paper Table 1 arithmetic (Qwen3-1.7B + Qwen3-8B)', () => {
  it('PGR = (49.52 − 42.50) / (54.12 − 42.50) = 0.604', () => {
    expect(round(pgr(relay.accuracy, table1) as number, 3)).toBe(0.604);
  });

  it('the performance-matched random router needs p* = PGR = 0.604, i.e. 60.4% of LLM tokens', () => {
    const p = routerFractionForAccuracy(relay.accuracy, table1) as number;
    expect(p).toBeCloseTo(pgr(relay.accuracy, table1) as number, 12);
    expect(round(routerShare(p, table1) * 100, 1)).toBe(60.4);
  });

  it('cost reduction at matched accuracy: 1 − 1.07 / 60.4 = 98.2%', () => {
    const reduction = costReductionAtMatchedAccuracy(relay.accuracy, relay.share, table1) as number;
    expect(round(reduction * 100, 1)).toBe(98.2);
  });

  it('the resource-equivalent router (1.07% share) scores 42.62; relay is 6.9 points above it', () => {
    const p = routerFractionForShare(relay.share, table1);
    expect(p).toBeCloseTo(0.0107, 12);
    expect(round(routerAccuracy(p, table1), 2)).toBe(42.62);
    expect(round(accuracyEdgeAtEqualCost(relay.accuracy, relay.share, table1), 1)).toBe(6.9);
  });
});
