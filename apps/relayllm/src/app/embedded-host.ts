import { RelayFrontDoor, type GenerationObserver } from '@relayllm/front-door';
import { GenerationStateStore, InMemoryKeyValueStore, type TokenQuota } from '@relayllm/relay-cluster';
import { serverLimitsFor, SystemClock, type ChatTemplateSource, type Engine, type RelayModels } from '@relayllm/relay-core';
import type { RelayllmConfig } from './config';

/** What the embedded relay needs from the engines (EmbeddedEngines, or wrapped engines in specs). */
export interface RelayEngines {
  slm: Engine;
  llm: Engine;
  /** What the two models say of themselves (EmbeddedEngines.models; referenceModels(window) in specs). */
  models: RelayModels;
  /** The operator's chat template, replacing the SLM's own. */
  chatTemplate?: ChatTemplateSource;
}

/** What the embedded server's requests are bounded by and default to (the configured ceiling, turns and floor). */
export type EmbeddedRequestSettings = Pick<RelayllmConfig, 'maxTokensLimit' | 'defaultMaxTurns' | 'defaultConfidenceFloor'>;


/**
 * The one-process wiring of the front door: both engines in this process,
 * the pair as the models describe themselves, the system clock and generation state in
 * memory. One process has no other replica to hand a generation to: a
 * running request_id is always its own (its lease outlives the request
 * timeout) and nothing is checkpointed. Used by `serve`, `generate` and
 * `eval` alike; `quota`: the per-key LLM-token quota of `serve` (API keys).
 */
export function createEmbeddedRelay(
  engines: RelayEngines,
  config: EmbeddedRequestSettings & Pick<RelayllmConfig, 'requestTimeoutMs'>,
  observer?: GenerationObserver,
  quota?: TokenQuota,
): RelayFrontDoor {
  const clock = new SystemClock();
  const heldMs = config.requestTimeoutMs + 60_000;
  return new RelayFrontDoor({
    engines: { slm: engines.slm, llm: engines.llm },
    models: engines.models,
    chatTemplate: engines.chatTemplate,
    limits: serverLimitsFor(config),
    requestTimeoutMs: config.requestTimeoutMs,
    resumable: false,
    generations: new GenerationStateStore({ store: new InMemoryKeyValueStore({ clock }), owner: 'embedded', clock, leaseMs: heldMs, runningTtlMs: heldMs }),
    observer,
    quota,
    clock,
  });
}

const isIpv6 = (host: string): boolean => host.includes(':');

/** host:port for binding; IPv6 literals in brackets. */
export function listenAddress(host: string, port: number): string {
  return isIpv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where a local client reaches a server bound to host (a wildcard address is reached on loopback). */
export function dialAddress(host: string, port: number): string {
  if (host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `[::1]:${port}`;
  return listenAddress(host, port);
}
