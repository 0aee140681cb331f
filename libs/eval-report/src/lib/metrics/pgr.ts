import type { Baselines, CurvePoint } from './types';

/**
 * Performance gap recovered: PGR = (acc − acc_slm) / (acc_llm − acc_slm).
 * 0 = SLM alone, 1 = LLM alone. null when the two baselines tie (the gap is
 * empty, so "how much of it was recovered" has no answer).
 */
export function pgr(accuracy: number, baselines: Baselines): number | null {
  const gap = baselines.llm.accuracy - baselines.slm.accuracy;
  if (gap === 0) return null;
  return (accuracy - baselines.slm.accuracy) / gap;
}

/** Shares outside [0, 1] are measurement noise (rounding of pooled counts): clamp them. */
export function clampShare(share: number): number {
  return Math.min(1, Math.max(0, share));
}

/** Sorts by share, ties by PGR, so that the polyline is the same for any input order. */
export function sortCurve(points: readonly CurvePoint[]): CurvePoint[] {
  return points
    .map((p) => ({ share: clampShare(p.share), pgr: p.pgr }))
    .sort((a, b) => a.share - b.share || a.pgr - b.pgr);
}

/**
 * APGR: area under the PGR-vs-LLM-token-share polyline on share ∈ [0, 1].
 * The polyline runs through (0, 0) (SLM alone), the policy's points sorted by
 * share (ties by PGR), and (1, 1) (LLM alone); the area is the trapezoid rule
 * over consecutive vertices. Points are not smoothed or made monotone, so a
 * sweep that gets worse with more budget is penalised. The analytic random
 * router with equal response lengths (PGR = share) scores exactly 0.5; a
 * curve that jumps to PGR 1 at share 0 scores 1.
 */
export function apgr(points: readonly CurvePoint[]): number {
  const curve = [{ share: 0, pgr: 0 }, ...sortCurve(points), { share: 1, pgr: 1 }];
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1];
    const b = curve[i];
    area += ((b.share - a.share) * (a.pgr + b.pgr)) / 2;
  }
  return area;
}

/**
 * The smallest LLM-token share at which the policy's curve reaches `target` PGR,
 * by linear interpolation between consecutive vertices of (0, 0) + the policy's
 * sorted points. (0, 0) is included because any policy can be mixed with the
 * SLM alone; (1, 1) is NOT, so the answer is null when no run of the policy
 * reaches the target (the question is what this policy achieves, not what
 * calling the LLM for everything achieves).
 */
export function shareAtPgr(points: readonly CurvePoint[], target: number): number | null {
  const curve = [{ share: 0, pgr: 0 }, ...sortCurve(points)];
  if (target <= 0) return 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1];
    const b = curve[i];
    if (b.pgr < target) continue;
    // a.pgr < target <= b.pgr: a is below (else the loop would have stopped at a),
    // so the denominator is positive.
    return a.share + ((target - a.pgr) / (b.pgr - a.pgr)) * (b.share - a.share);
  }
  return null;
}
