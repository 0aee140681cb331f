import { clampShare } from './pgr';
import {
  routerAccuracy,
  routerFractionForAccuracy,
  routerFractionForShare,
  routerShare,
} from './random-router';
import type { Baselines } from './types';

/**
 * Cost reduction at matched accuracy against the analytic random router:
 *   p*  = the router's fraction with the policy's accuracy (= the policy's PGR)
 *   1 − share_policy / share_router(p*)
 * 0.98 means the policy spends 2% of the LLM tokens the router needs for the
 * same accuracy. null when the router cannot match the accuracy (policy below
 * the SLM or above the LLM) or matches it for free (p* = 0).
 */
export function costReductionAtMatchedAccuracy(
  accuracy: number,
  share: number,
  b: Baselines,
): number | null {
  const p = routerFractionForAccuracy(accuracy, b);
  if (p === null) return null;
  const routerCost = routerShare(p, b);
  if (routerCost === 0) return null;
  return 1 - clampShare(share) / routerCost;
}

/**
 * Accuracy edge at equal cost: acc_policy − accuracy of the router that spends
 * the same LLM-token share (p from routerFractionForShare). Same unit as the
 * accuracies (fraction in, fraction out).
 */
export function accuracyEdgeAtEqualCost(accuracy: number, share: number, b: Baselines): number {
  return accuracy - routerAccuracy(routerFractionForShare(clampShare(share), b), b);
}
