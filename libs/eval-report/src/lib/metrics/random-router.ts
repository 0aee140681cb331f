import type { Baselines } from './types';

/**
 * The analytic random router: each query goes to the LLM alone with
 * probability p, else to the SLM alone. Computed from the two single-model
 * runs, so it needs no run of its own (a measured 'random-router' run is just
 * another point on the chart).
 *
 *   accuracy(p) = (1 − p)·acc_slm + p·acc_llm
 *   share(p)    = p·L_llm / ((1 − p)·L_slm + p·L_llm)
 *
 * with L the mean response tokens of each single-model run: the share is pooled
 * LLM tokens over pooled response tokens, so a verbose LLM makes each routed
 * query cost more than its 1/n. With L_slm = L_llm, share(p) = p.
 */
export function routerAccuracy(p: number, b: Baselines): number {
  return (1 - p) * b.slm.accuracy + p * b.llm.accuracy;
}

export function routerShare(p: number, b: Baselines): number {
  const slm = (1 - p) * b.slm.meanResponseTokens;
  const llm = p * b.llm.meanResponseTokens;
  // Both lengths zero: no tokens at all; fall back to the equal-length variant.
  return slm + llm === 0 ? p : llm / (slm + llm);
}

/**
 * Inverse of routerShare: the routing fraction whose LLM-token share is `share`.
 *   p = s·L_slm / ((1 − s)·L_llm + s·L_slm)
 */
export function routerFractionForShare(share: number, b: Baselines): number {
  const ls = b.slm.meanResponseTokens;
  const ll = b.llm.meanResponseTokens;
  const denominator = (1 - share) * ll + share * ls;
  return denominator === 0 ? share : (share * ls) / denominator;
}

/**
 * The routing fraction p* whose accuracy equals `accuracy`: p* = PGR(accuracy).
 * null when the router cannot reach it (accuracy outside [acc_slm, acc_llm],
 * or the baselines tie).
 */
export function routerFractionForAccuracy(accuracy: number, b: Baselines): number | null {
  const gap = b.llm.accuracy - b.slm.accuracy;
  if (gap === 0) return null;
  const p = (accuracy - b.slm.accuracy) / gap;
  return p < 0 || p > 1 ? null : p;
}
