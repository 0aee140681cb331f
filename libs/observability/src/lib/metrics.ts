import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallerProtocol } from '@relayllm/front-door';
import { CALL_ORIGINS, isRelayError, type CompletedEvent } from '@relayllm/relay-core';
import { EngineMetrics, type WorkerKindLabel } from './engine-metrics';
import { BrokerMetrics } from './fault-metrics';

/**
 * The Prometheus metrics of RelayLLM (names and labels in the README). Every
 * label value comes from a closed set (finish reasons, error kinds, token
 * sources, handoff stages, worker kinds): no prompt text, no request or
 * generation ids, no worker ids.
 */
export const HANDOFF_STAGES = ['route', 'publish', 'queue_wait', 'first_token', 'resume'] as const;
export type HandoffStage = (typeof HANDOFF_STAGES)[number];

/**
 * Outcome of a generation: its finish reason; for a failure, the RelayError
 * kinds a dashboard tells apart from server faults (the caller's bad input,
 * a deadline, a cancel), else 'error' (the kind is on relayllm_errors_total).
 */
export const GENERATION_OUTCOMES = ['eos', 'llm_eos', 'length', 'stop', 'cancelled', 'deadline_exceeded', 'invalid_argument', 'error'] as const;
export type GenerationOutcome = (typeof GENERATION_OUTCOMES)[number];

/** The error kinds that are their own outcome (not 'error'). */
const KIND_OUTCOMES: ReadonlySet<string> = new Set<GenerationOutcome>(['cancelled', 'deadline_exceeded', 'invalid_argument']);

/** The outcome of a generation that failed with a RelayError of `kind` ('internal' for a non-RelayError). */
export function failureOutcome(kind: string): GenerationOutcome {
  return KIND_OUTCOMES.has(kind) ? (kind as GenerationOutcome) : 'error';
}

/**
 * The protocol a generation arrived on (front-door's CallerProtocol), a label
 * of the per-generation series. gRPC first: a scrape read for a subset of the
 * labels (prometheus-text's sampleValue) finds its series.
 */
export const GENERATION_PROTOCOLS = ['grpc', 'http', 'cli'] as const satisfies readonly CallerProtocol[];

const HANDOFF_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const RATIO_BUCKETS = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1];
const CALL_BUCKETS = [0, 1, 2, 3, 4, 6, 8, 16];

/**
 * prom-client's gauges named *_total: Prometheus reserves that suffix for
 * counters (`promtool check metrics` fails on them), and each is only the sum
 * of its per-type gauge (`sum(relayllm_nodejs_active_handles)`), which stays.
 */
export const DROPPED_DEFAULT_METRICS = ['relayllm_nodejs_active_handles_total', 'relayllm_nodejs_active_requests_total', 'relayllm_nodejs_active_resources_total'] as const;

/** One registry per app (never the global one, so specs can run several apps in one process). */
export function createMetricsRegistry(options: { defaultMetrics?: boolean; service: string }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'relayllm_' });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  return registry;
}

/** What the relay host (orchestrator, embedded app) records per generation and per call. */
export class RelayMetrics {
  readonly generations: Counter<'outcome' | 'protocol'>;
  readonly tokens: Counter<'source' | 'protocol'>;
  /** Per policy: LLM_ONLY's ρ is 1 by definition and would hide the relay's. */
  readonly llmTokenRatio: Histogram<'policy' | 'protocol'>;
  readonly callsPerGeneration: Histogram<'policy' | 'protocol'>;
  /** Calls by who asked: the SLM's command, or the request's confidence floor. */
  readonly calls: Counter<'origin' | 'protocol'>;
  readonly handoffSeconds: Histogram<'stage'>;
  readonly llmQueueDepth: Gauge;
  readonly llmRelays: Counter<'affinity'>;
  readonly outputCache: Counter<'result'>;
  readonly errors: Counter<'kind' | 'protocol'>;
  /** Shared-store calls answered without the store (circuit open, failure or timeout). */
  readonly storeBypass: Counter<'operation'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.generations = new Counter({ name: 'relayllm_generations_total', help: 'Generations ended, by outcome (finish reason, cancelled, deadline_exceeded, invalid_argument or error) and protocol.', labelNames: ['outcome', 'protocol'], registers });
    this.tokens = new Counter({ name: 'relayllm_tokens_total', help: 'Response tokens by the model that wrote them and the protocol.', labelNames: ['source', 'protocol'], registers });
    this.llmTokenRatio = new Histogram({ name: 'relayllm_llm_token_ratio', help: 'rho = LLM tokens / response tokens, per finished (not cancelled) generation, by policy and protocol.', labelNames: ['policy', 'protocol'], buckets: RATIO_BUCKETS, registers });
    this.callsPerGeneration = new Histogram({ name: 'relayllm_calls_per_generation', help: 'LLM calls per finished (not cancelled) generation, by policy and protocol.', labelNames: ['policy', 'protocol'], buckets: CALL_BUCKETS, registers });
    this.calls = new Counter({ name: 'relayllm_calls_total', help: 'LLM calls made, by origin (command: the SLM wrote one; floor: the request\'s confidence floor) and protocol.', labelNames: ['origin', 'protocol'], registers });
    this.handoffSeconds = new Histogram({ name: 'relayllm_handoff_seconds', help: 'Handoff overhead by stage.', labelNames: ['stage'], buckets: HANDOFF_BUCKETS, registers });
    this.llmQueueDepth = new Gauge({ name: 'relayllm_llm_queue_depth', help: 'LLM calls sent and still waiting for their first token.', registers });
    this.llmRelays = new Counter({ name: 'relayllm_llm_relays_total', help: 'LLM calls answered by a worker, by affinity (hit: the generation\'s previous worker; miss: another one; none: no previous worker).', labelNames: ['affinity'], registers });
    this.outputCache = new Counter({ name: 'relayllm_output_cache_lookups_total', help: 'Deterministic LLM calls, by output-cache result.', labelNames: ['result'], registers });
    this.errors = new Counter({ name: 'relayllm_errors_total', help: 'Failed generations by RelayError kind and protocol.', labelNames: ['kind', 'protocol'], registers });
    this.storeBypass = new Counter({ name: 'relayllm_store_bypass_total', help: 'Shared-store (Redis) calls answered without the store (circuit open, failure or timeout), by operation.', labelNames: ['operation'], registers });
    for (const protocol of GENERATION_PROTOCOLS) {
      for (const outcome of GENERATION_OUTCOMES) this.generations.inc({ outcome, protocol }, 0);
      for (const source of ['slm', 'llm']) this.tokens.inc({ source, protocol }, 0);
      for (const origin of CALL_ORIGINS) this.calls.inc({ origin, protocol }, 0);
    }
  }
}

/** What a worker process records (its own /metrics; Prometheus adds the instance): its engine's series and the LLM worker's queue wait. */
export class WorkerMetrics extends EngineMetrics {
  readonly handoffSeconds: Histogram<'stage'>;
  /** NATS connection losses of this worker. */
  readonly broker: BrokerMetrics;

  constructor(
    registry: Registry,
    readonly kind: WorkerKindLabel,
    sequences: { active: () => number; max: number },
  ) {
    super(registry, { [kind]: sequences });
    this.handoffSeconds = new Histogram({ name: 'relayllm_handoff_seconds', help: 'Handoff overhead by stage (queue_wait on LLM workers).', labelNames: ['stage'], buckets: HANDOFF_BUCKETS, registers: [registry] });
    this.broker = new BrokerMetrics(registry, kind === 'slm' ? 'slm_worker' : 'llm_worker');
  }
}

/** A cut generation ends as `cancelled`; the call signal's reason says whether the caller's deadline cut it. */
export function cutOutcome(signal: AbortSignal | undefined): GenerationOutcome {
  return isRelayError(signal?.reason) && signal.reason.kind === 'deadline_exceeded' ? 'deadline_exceeded' : 'cancelled';
}

/** A completed generation's counters, and its ρ and calls when it is an answer (a cut run's describe where it was cut). */
export function recordCompleted(metrics: RelayMetrics, event: CompletedEvent, labels: { policy: string; protocol: string }, signal: AbortSignal | undefined): void {
  const { usage } = event;
  const { protocol } = labels;
  metrics.generations.inc({ outcome: event.finishReason === 'cancelled' ? cutOutcome(signal) : (event.finishReason satisfies GenerationOutcome), protocol });
  metrics.tokens.inc({ source: 'slm', protocol }, usage.slmTokens);
  metrics.tokens.inc({ source: 'llm', protocol }, usage.llmTokens);
  for (const origin of CALL_ORIGINS) metrics.calls.inc({ origin, protocol }, usage.callRecords.filter((c) => c.origin === origin).length);
  if (event.finishReason === 'cancelled') return;
  metrics.llmTokenRatio.observe(labels, usage.llmTokenRatio);
  metrics.callsPerGeneration.observe(labels, usage.calls);
}
