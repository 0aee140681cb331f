import { context } from '@opentelemetry/api';
import { Counter, Gauge, type Registry } from 'prom-client';
import { EngineDecorator, isRelayError, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { observeIterable } from './observe-iterable';

/** Which model an engine runs: the `kind` label of the engine series. */
export type WorkerKindLabel = 'slm' | 'llm';

/** How many sequences an engine holds now, and how many it can hold (undefined: no fixed bound, e.g. a model on a server). */
export interface SequenceLoad {
  active: () => number;
  max: number | undefined;
}

/**
 * The engine series, wherever the engines run: a worker process (its one
 * engine) or the embedded server (both engines in process), so one dashboard
 * reads both deployments.
 */
export class EngineMetrics {
  readonly activeSequences: Gauge<'kind'>;
  readonly maxSequences: Gauge<'kind'>;
  readonly requests: Counter<'kind' | 'outcome'>;
  readonly engineTokens: Counter<'kind' | 'phase'>;

  constructor(
    readonly registry: Registry,
    loads: Partial<Record<WorkerKindLabel, SequenceLoad>>,
  ) {
    const registers = [registry];
    const entries = Object.entries(loads) as [WorkerKindLabel, SequenceLoad][];
    this.activeSequences = new Gauge({
      name: 'relayllm_worker_active_sequences',
      help: 'Sequences (generations) the engine holds now, by model kind.',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const [kind, load] of entries) this.set({ kind }, load.active());
      },
    });
    this.maxSequences = new Gauge({ name: 'relayllm_worker_max_sequences', help: 'Sequences the engine can hold, by model kind.', labelNames: ['kind'], registers });
    for (const [kind, load] of entries) if (load.max !== undefined) this.maxSequences.set({ kind }, load.max);
    this.requests = new Counter({ name: 'relayllm_worker_requests_total', help: 'LLM relay requests served, by outcome (ok or RelayError kind).', labelNames: ['kind', 'outcome'], registers });
    this.engineTokens = new Counter({ name: 'relayllm_engine_tokens_total', help: 'Engine tokens by phase (prefill_evaluated, prefill_reused, decode).', labelNames: ['kind', 'phase'], registers });
  }
}

/**
 * An in-process engine measured as a worker measures its own: the sequences
 * it holds (from its first generate until the host releases the sequence)
 * and, for the LLM, each relay request by outcome (ok, or the failure's
 * RelayError kind; a request its caller cut is `cancelled`).
 */
export class MeteredEngine extends EngineDecorator {
  private readonly held = new Set<string>();

  constructor(
    inner: Engine,
    private readonly kind: WorkerKindLabel,
    private readonly metrics: EngineMetrics,
  ) {
    super(inner);
  }

  /** Sequences generated on and not yet released. */
  get heldSequences(): number {
    return this.held.size;
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    this.held.add(request.sequenceId);
    const chunks = this.inner.generate(request, signal);
    if (this.kind !== 'llm') return chunks;
    return observeIterable(chunks, context.active(), {
      onEnd: (error) => {
        const outcome = error !== undefined ? (isRelayError(error) ? error.kind : 'internal') : signal.aborted ? 'cancelled' : 'ok';
        this.metrics.requests.inc({ kind: this.kind, outcome });
      },
    });
  }

  override release(sequenceId: string): void {
    this.held.delete(sequenceId);
    super.release(sequenceId);
  }
}

/**
 * The embedded server's engines, metered: the same engine series as the
 * workers export (`relayllm_worker_*`, `relayllm_engine_tokens_total` once
 * the engines are also given to `tracedEngine` with `metrics`), labelled
 * slm / llm. `maxSequences`: each model's bound when it has one.
 */
export function meterEngines(
  registry: Registry,
  engines: { slm: Engine; llm: Engine },
  maxSequences: { slm: number | undefined; llm: number | undefined },
): { slm: MeteredEngine; llm: MeteredEngine; metrics: EngineMetrics } {
  // The gauges read the engines only when scraped, after both exist.
  const metrics: EngineMetrics = new EngineMetrics(registry, {
    slm: { active: (): number => slm.heldSequences, max: maxSequences.slm },
    llm: { active: (): number => llm.heldSequences, max: maxSequences.llm },
  });
  const slm: MeteredEngine = new MeteredEngine(engines.slm, 'slm', metrics);
  const llm: MeteredEngine = new MeteredEngine(engines.llm, 'llm', metrics);
  return { slm, llm, metrics };
}
