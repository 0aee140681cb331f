import { WorkerKind } from '@relayllm/proto';
import type { ModelDescription, ModelProfile } from '@relayllm/relay-core';

/** The workers of one role serving one model name (the `<model>` of the subjects). */
export interface ModelPool {
  kind: WorkerKind;
  model: string;
}

/** What the table concluded of a fetched description. */
export type DescriptionVerdict =
  /** The pool's first description: it is now the pool's model. */
  | { kind: 'accepted' }
  /** Another description that agrees with the pool's model: its workers serve. */
  | { kind: 'agrees' }
  /** Its workers are not used. */
  | { kind: 'refused'; reason: string };

type HashState = { kind: 'fetching' } | { kind: 'usable' } | { kind: 'refused'; reason: string };

interface PoolState {
  accepted: ModelDescription | undefined;
  hashes: Map<string, HashState>;
}

/** Distinct descriptions tracked per pool; heartbeats naming more are ignored (a flood of hashes cannot grow memory). */
export const MAX_DESCRIPTIONS_PER_POOL = 64;

/** The role of a pool, for messages. */
export function poolName(pool: ModelPool): string {
  return `${pool.kind === WorkerKind.WORKER_KIND_SLM ? 'SLM' : 'LLM'} pool "${pool.model}"`;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  const left = [...new Set(a)].sort((x, y) => x - y);
  const right = [...new Set(b)].sort((x, y) => x - y);
  return left.length === right.length && left.every((id, i) => id === right[i]);
}

/**
 * The "pool agrees" rule: a worker may serve in a pool whose model is
 * `accepted` when its model reads and writes the same tokens the same way:
 * the same vocabulary, the same command syntax (and, in token syntax, the
 * same command ids), the same end-of-turn ids, and a context window at least
 * as large (the front door admits requests by the pool's window). Returns why
 * it may not, or undefined when it agrees. The chat template is not compared:
 * the front door renders the first accepted one.
 */
export function poolDisagreement(accepted: ModelProfile, candidate: ModelProfile): string | undefined {
  if (candidate.vocabularyId !== accepted.vocabularyId) {
    return `its vocabulary ${candidate.vocabularyId} is not the pool's ${accepted.vocabularyId}`;
  }
  const ours = accepted.commandSyntax;
  const theirs = candidate.commandSyntax;
  if (ours.kind !== theirs.kind) return `it writes commands as ${theirs.kind}, the pool as ${ours.kind}`;
  if (ours.kind === 'token' && theirs.kind === 'token' && (ours.callId !== theirs.callId || ours.endCallId !== theirs.endCallId)) {
    return `its command ids ${theirs.callId}/${theirs.endCallId} are not the pool's ${ours.callId}/${ours.endCallId}`;
  }
  if (!sameIds(accepted.endOfTurnIds, candidate.endOfTurnIds)) {
    return `its end-of-turn ids [${candidate.endOfTurnIds.join(', ')}] are not the pool's [${accepted.endOfTurnIds.join(', ')}]`;
  }
  if (candidate.contextLength < accepted.contextLength) {
    return `its context window of ${candidate.contextLength} tokens is smaller than the pool's ${accepted.contextLength}`;
  }
  return undefined;
}

/**
 * Which described models each pool serves (pure: no NATS, no timers). The
 * first description fetched for a pool becomes its model; every other
 * description is compared with it by `poolDisagreement`, once per hash, and
 * its workers are usable or refused for the life of the table.
 */
export class PoolDescriptionTable {
  private readonly pools = new Map<string, PoolState>();

  constructor(private readonly maxDescriptionsPerPool = MAX_DESCRIPTIONS_PER_POOL) {}

  /** true when `hash` is new to the pool: the caller fetches it, then reports `described` or `fetchFailed`. */
  claimFetch(pool: ModelPool, hash: string): boolean {
    if (hash === '') return false;
    const state = this.state(pool);
    if (state.hashes.has(hash) || state.hashes.size >= this.maxDescriptionsPerPool) return false;
    state.hashes.set(hash, { kind: 'fetching' });
    return true;
  }

  /** The fetch failed: the hash is forgotten, so a later heartbeat fetches it again. */
  fetchFailed(pool: ModelPool, hash: string): void {
    const state = this.state(pool);
    if (state.hashes.get(hash)?.kind === 'fetching') state.hashes.delete(hash);
  }

  /** A description that cannot be served at all (malformed): its workers are refused. */
  refuse(pool: ModelPool, hash: string, reason: string): DescriptionVerdict {
    this.state(pool).hashes.set(hash, { kind: 'refused', reason });
    return { kind: 'refused', reason };
  }

  /** The description of `hash` arrived: accepted (the first), agrees, or refused. */
  described(pool: ModelPool, hash: string, description: ModelDescription): DescriptionVerdict {
    const state = this.state(pool);
    if (state.accepted === undefined) {
      state.accepted = description;
      state.hashes.set(hash, { kind: 'usable' });
      return { kind: 'accepted' };
    }
    const reason = poolDisagreement(state.accepted.profile, description.profile);
    if (reason !== undefined) return this.refuse(pool, hash, reason);
    state.hashes.set(hash, { kind: 'usable' });
    return { kind: 'agrees' };
  }

  /** The pool's model, once a description was accepted. */
  accepted(pool: ModelPool): ModelDescription | undefined {
    return this.pools.get(key(pool))?.accepted;
  }

  /** Workers announcing `hash` may serve in the pool. */
  usable(pool: ModelPool, hash: string): boolean {
    return this.pools.get(key(pool))?.hashes.get(hash)?.kind === 'usable';
  }

  /** Why workers announcing `hash` are not used, when they are refused. */
  refusal(pool: ModelPool, hash: string): string | undefined {
    const state = this.pools.get(key(pool))?.hashes.get(hash);
    return state?.kind === 'refused' ? state.reason : undefined;
  }

  private state(pool: ModelPool): PoolState {
    let state = this.pools.get(key(pool));
    if (state === undefined) {
      state = { accepted: undefined, hashes: new Map() };
      this.pools.set(key(pool), state);
    }
    return state;
  }
}

function key(pool: ModelPool): string {
  return `${pool.kind}:${pool.model}`;
}
