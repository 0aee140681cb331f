/**
 * Which worker one attempt of a remote generate goes to (pure: no transport).
 * One rule for both roles; what differs is given: whether the broker may pick
 * (`anyAllowed`: the LLM's NATS queue group) and whether a worker that looks
 * full may still be asked (`fullAllowed`: an SLM worker answers
 * RESOURCE_EXHAUSTED itself, and its announcement may lag).
 */

/** A live worker's load, from its last heartbeat and this client's own use of it. */
export interface WorkerLoad {
  workerId: string;
  /** In use: the larger of what the worker announced (lags) and this client's own count. */
  activeSequences: number;
  maxSequences: number;
  /**
   * Slots this client itself holds there (the SLM's open streams), exact and
   * never lagging; undefined when the client keeps no such count (the LLM).
   * A worker this count fills is never asked for another slot.
   */
  ownSequences?: number;
}

/** Where an attempt goes: one worker, or any worker the broker picks. */
export type WorkerRoute = { kind: 'worker'; workerId: string } | { kind: 'any' };

export interface WorkerChoiceInput {
  live: readonly WorkerLoad[];
  /** The worker that holds the sequence's state (KV cache, stream), if any. */
  preferred?: string;
  /** The preferred worker already holds this generate's slot (its open stream): staying takes no new slot, so it is chosen even when full. */
  preferredHoldsSlot?: boolean;
  /** Workers that failed this generate in the current round. */
  exclude: ReadonlySet<string>;
  /** Workers that just failed as unavailable (killed, shutting down): tried after all others. */
  suspect?: ReadonlySet<string>;
  /** 1-based attempt of the round. */
  attempt: number;
  /** The broker may pick a worker (the first attempt goes to it unless the preferred worker can take it). */
  anyAllowed: boolean;
  /** A worker that looks full may still be chosen when no other is left (never one that this client's own count fills). */
  fullAllowed: boolean;
}

/**
 * Why no worker was chosen: none is live (an outage), every live one not yet
 * tried this round is filled by this client's own slots (overload: one of
 * them frees a slot when it ends), or every live one was tried this round.
 */
export type NoWorkerCause = 'none-live' | 'all-full' | 'all-tried';

const hasRoom = (w: WorkerLoad): boolean => w.maxSequences <= 0 || w.activeSequences < w.maxSequences;
/** This client's own count leaves room (the heartbeat may say otherwise: it lags). */
const ownRoom = (w: WorkerLoad): boolean => w.maxSequences <= 0 || (w.ownSequences ?? 0) < w.maxSequences;
const load = (w: WorkerLoad): number => (w.maxSequences > 0 ? w.activeSequences / w.maxSequences : 0);

/** The least-loaded worker of `workers` (ties: lowest id, so the choice is deterministic). */
function leastLoaded(workers: readonly WorkerLoad[]): WorkerLoad | undefined {
  let best: WorkerLoad | undefined;
  for (const w of workers) {
    if (best === undefined || load(w) < load(best) || (load(w) === load(best) && w.workerId < best.workerId)) best = w;
  }
  return best;
}

/**
 * The preferred worker when it is live, not excluded and has room (or holds
 * the generate's slot already); else, on a first attempt where the broker
 * may pick, any; else the least-loaded eligible worker with room (suspects
 * last), then one that only looks full when that is allowed; else any when
 * allowed; undefined when no worker is left (see noWorkerCause). A worker
 * whose slots this client fills itself is never chosen for a new slot.
 */
export function chooseWorker(input: WorkerChoiceInput): WorkerRoute | undefined {
  const eligible = input.live.filter((w) => !input.exclude.has(w.workerId));
  const preferred = eligible.find((w) => w.workerId === input.preferred);
  if (preferred !== undefined && ((input.preferredHoldsSlot ?? false) || (hasRoom(preferred) && ownRoom(preferred)))) {
    return { kind: 'worker', workerId: preferred.workerId };
  }
  if (input.anyAllowed && input.attempt <= 1) return { kind: 'any' };
  const open = eligible.filter(ownRoom);
  const trusted = open.filter((w) => !(input.suspect?.has(w.workerId) ?? false));
  const tiers = [trusted.filter(hasRoom), open.filter(hasRoom), ...(input.fullAllowed ? [trusted, open] : [])];
  for (const tier of tiers) {
    const best = leastLoaded(tier);
    if (best !== undefined) return { kind: 'worker', workerId: best.workerId };
  }
  return input.anyAllowed ? { kind: 'any' } : undefined;
}

/** Why chooseWorker found no worker for `input` (meaningful only when it returned undefined). */
export function noWorkerCause(input: Pick<WorkerChoiceInput, 'live' | 'exclude'>): NoWorkerCause {
  if (input.live.length === 0) return 'none-live';
  const untried = input.live.filter((w) => !input.exclude.has(w.workerId));
  return untried.length > 0 && untried.every((w) => !ownRoom(w)) ? 'all-full' : 'all-tried';
}

/** Slots that look free on `live` (by the larger of announced and own counts; unbounded workers count 1). */
export function freeSlots(live: readonly WorkerLoad[]): number {
  return live.reduce((sum, w) => sum + (w.maxSequences <= 0 ? 1 : Math.max(0, w.maxSequences - w.activeSequences)), 0);
}
