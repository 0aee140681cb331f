import type { RelayErrorKind } from '@relayllm/relay-core';

/**
 * Where an LLM pool sends one attempt of a relay call (pure: no transport).
 * The pool maps `worker` to that worker's own subject and `queue` to the
 * model's queue group (any worker, picked by the broker).
 */
export type LlmRoute = { kind: 'worker'; workerId: string } | { kind: 'queue' };

/** A live worker's load, from its last heartbeat. */
export interface LlmWorkerLoad {
  workerId: string;
  activeSequences: number;
  maxSequences: number;
}

export interface LlmRouteInput {
  /** The worker that holds the generation's prefix (from the shared store), if any. */
  affinityWorkerId?: string;
  /** Live workers of the model. */
  live: readonly LlmWorkerLoad[];
  /** Workers that already failed this call (full, gone, timed out). */
  exclude?: ReadonlySet<string>;
  /** 1-based attempt of this call. */
  attempt: number;
}

function hasRoom(worker: LlmWorkerLoad): boolean {
  return worker.maxSequences <= 0 || worker.activeSequences < worker.maxSequences;
}

/**
 * First attempt: the affinity worker when it is live, has room and has not
 * failed this call (its KV cache holds the prefix); otherwise the queue group.
 * A reissue (attempt > 1) must land on another worker, which the queue group
 * cannot promise: it goes to the least-loaded live worker that has room and
 * has not failed this call (ties: lowest id), and to the queue group only when
 * no such worker is known.
 */
export function chooseLlmRoute(input: LlmRouteInput): LlmRoute {
  const exclude = input.exclude ?? new Set<string>();
  const eligible = input.live.filter((w) => hasRoom(w) && !exclude.has(w.workerId));
  if (input.attempt <= 1) {
    const affinity = input.affinityWorkerId;
    if (affinity !== undefined && eligible.some((w) => w.workerId === affinity)) return { kind: 'worker', workerId: affinity };
    return { kind: 'queue' };
  }
  if (eligible.length === 0) return { kind: 'queue' };
  const load = (w: LlmWorkerLoad): number => (w.maxSequences > 0 ? w.activeSequences / w.maxSequences : 0);
  const best = [...eligible].sort((a, b) => load(a) - load(b) || (a.workerId < b.workerId ? -1 : 1))[0];
  return { kind: 'worker', workerId: best.workerId };
}

/**
 * Failures worth a reissue on another worker: that worker was full
 * (resource_exhausted) or unreachable / failed / gone / too slow
 * (unavailable). Everything else (bad request, cancelled, deadline of the
 * whole call, internal) would fail the same way elsewhere.
 */
export function isReissuableLlmFailure(kind: RelayErrorKind): boolean {
  return kind === 'resource_exhausted' || kind === 'unavailable';
}

/**
 * How long one attempt may wait: the per-attempt bound, cut to what is left
 * of the call's deadline (undefined = none); 0 when nothing is left.
 */
export function llmAttemptTimeoutMs(nowMs: number, perAttemptMs: number, deadlineMs?: number): number {
  if (deadlineMs === undefined) return perAttemptMs;
  return Math.max(0, Math.min(perAttemptMs, deadlineMs - nowMs));
}

/**
 * The acknowledgement deadline that applies to an attempt before its worker
 * acknowledges it, or undefined when only the attempt's own bound applies
 * (`ackMs` unset or 0 = no ack deadline, or not shorter than the attempt).
 * A request delivered to a worker that died before admitting it is never
 * acknowledged: waiting for the ack only this long reissues it after `ackMs`,
 * not after the whole attempt. Once acknowledged, the attempt bound applies.
 */
export function llmAckTimeoutMs(attemptMs: number, ackMs?: number): number | undefined {
  if (ackMs === undefined || ackMs <= 0 || ackMs >= attemptMs) return undefined;
  return ackMs;
}
