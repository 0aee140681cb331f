import { FailedPreconditionReason, isRelayError, type RelayError } from '@relayllm/relay-core';
import type { NoWorkerCause } from './worker-choice';

/**
 * The one retry policy of the remote engines (both roles), as pure
 * decisions. A generate's attempts come in rounds: within a round each
 * attempt goes to another worker; a round ends when it used `maxAttempts`
 * attempts or no worker is left. After a round the generate may wait for
 * capacity (a worker joining, or one reporting room) and start another, for
 * at most `capacityWaitMs` in all; then it fails. While no worker of the role
 * is live at all (an outage, not overload) it waits at most `outageGraceMs`.
 */
export interface RetryPolicy {
  /** Attempts of one round (>= 1). */
  maxAttempts: number;
  /** How long a generate may wait for capacity between rounds, in all (0: never: one round). */
  capacityWaitMs: number;
  /** The longest single wait before the next round (cut short by a capacity change). */
  retryDelayMs: number;
  /** How long, in all, a generate waits while no worker of its role is live (then it fails unavailable); undefined: the capacity wait. */
  outageGraceMs?: number;
}

/** A generate waiting for a slot of its own looks again at least every this many retry delays, woken or not. */
const OWN_SLOT_WAIT_FACTOR = 10;

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, capacityWaitMs: 0, retryDelayMs: 100 };

/** Where a generate stands after a failed attempt. */
export interface RetryState {
  error: unknown;
  /** Attempts made in the current round, this one included. */
  attemptsInRound: number;
  /** Whether the chooser still has a worker this round has not tried. */
  workerLeft: boolean;
  /** Time spent waiting for capacity so far. */
  waitedMs: number;
  /** Why the chooser found no worker (when `workerLeft` is false). */
  noWorker?: NoWorkerCause;
  /** Time spent waiting while no worker was live at all (part of `waitedMs`). */
  outageWaitedMs?: number;
}

export type RetryDecision =
  /** Send the rest of the generate to another worker now. */
  | { action: 'reissue' }
  /** Wait up to `forMs` (less when capacity changes: a freed slot wakes one waiter), then start a new round. */
  | { action: 'wait'; forMs: number }
  /** Give up: the error is final (`exhausted`: the rounds ran out; else the failure itself is final). */
  | { action: 'fail'; exhausted: boolean };

/**
 * Failures that another worker (or the same one later) can fix: a worker
 * full, unreachable, gone, too slow or shutting down, or holding the
 * generation on another stream. Anything else (a bad request, a cancel, the
 * call's own deadline, a bug) fails the same way everywhere.
 */
export function isReissuable(error: unknown): error is RelayError {
  if (!isRelayError(error)) return false;
  if (error.kind === 'unavailable' || error.kind === 'resource_exhausted') return true;
  return error.kind === 'failed_precondition' && error.reason === FailedPreconditionReason.GENERATION_IN_USE;
}

/**
 * After a failed attempt (or a round that found no worker): reissue, wait or
 * fail. Every live worker filled by this client's own slots is overload: the
 * wait lasts until one of its slots frees (that wakes it), within the
 * capacity wait, looking again every 10 retry delays at the latest. No live
 * worker at all is an outage: the wait ends after the outage grace.
 * Otherwise the generate looks again every `retryDelayMs`.
 */
export function decideRetry(policy: RetryPolicy, state: RetryState): RetryDecision {
  if (!isReissuable(state.error)) return { action: 'fail', exhausted: false };
  if (state.workerLeft && state.attemptsInRound < policy.maxAttempts) return { action: 'reissue' };
  let waitLeft = policy.capacityWaitMs - state.waitedMs;
  if (state.noWorker === 'none-live' && policy.outageGraceMs !== undefined) {
    waitLeft = Math.min(waitLeft, policy.outageGraceMs - (state.outageWaitedMs ?? 0));
  }
  if (waitLeft <= 0) return { action: 'fail', exhausted: true };
  // A freed slot wakes the waiter; the longer bound only limits what a wake-up lost to another waiter costs.
  const longest = state.noWorker === 'all-full' ? policy.retryDelayMs * OWN_SLOT_WAIT_FACTOR : policy.retryDelayMs;
  return { action: 'wait', forMs: Math.min(longest, waitLeft) };
}

/** How long one attempt may take: its own bound, cut to what is left of the call's deadline (undefined = none); 0 when nothing is left. */
export function attemptTimeoutMs(nowMs: number, perAttemptMs: number, deadlineMs?: number): number {
  if (deadlineMs === undefined) return perAttemptMs;
  return Math.max(0, Math.min(perAttemptMs, deadlineMs - nowMs));
}

/**
 * The acknowledgement deadline that applies to an attempt before its worker
 * acknowledges it, or undefined when only the attempt's own bound applies
 * (unset or 0 = no ack deadline, or not shorter than the attempt). A request
 * delivered to a worker that died before admitting it is never acknowledged:
 * waiting for the ack only this long reissues it early.
 */
export function ackTimeoutMs(attemptMs: number, ackMs?: number): number | undefined {
  if (ackMs === undefined || ackMs <= 0 || ackMs >= attemptMs) return undefined;
  return ackMs;
}
