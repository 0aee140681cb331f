import type { RelayFrontDoor } from '@relayllm/front-door';
import type { TokenQuota } from '@relayllm/relay-cluster';
import { LlamaCppEngine } from '@relayllm/engines';
import {
  meterEngines,
  RelayInstrumentation,
  tracedEngine,
  type GenerationLogger,
  type RelayMetrics,
  type Tracing,
} from '@relayllm/observability';
import type { Engine } from '@relayllm/relay-core';
import type { RelayllmConfig } from './config';
import { createEmbeddedRelay, type EmbeddedRequestSettings, type RelayEngines } from './embedded-host';

export interface EmbeddedObservability {
  tracing: Tracing;
  /** Present when /metrics is served. */
  metrics?: RelayMetrics;
  /** One line per generation (trace ids; prompts only with RELAYLLM_LOG_CONTENT). */
  logger?: GenerationLogger;
}

/**
 * The embedded relay as `relayllm serve` exposes it, observed: the same span
 * tree as the distributed deployment (relay.generate > slm.segment /
 * relay.call > llm.generate > engine.generate) and the same relay metrics.
 * With tracing off and no metrics the plain relay is returned (no cost).
 */
export function createObservedEmbeddedRelay(
  engines: RelayEngines,
  config: EmbeddedRequestSettings & Pick<RelayllmConfig, 'requestTimeoutMs'> & Partial<Pick<RelayllmConfig, 'sequences'>>,
  observability: EmbeddedObservability | undefined,
  quota?: TokenQuota,
): RelayFrontDoor {
  if (observability === undefined) return createEmbeddedRelay(engines, config, undefined, quota);
  const { tracing, metrics, logger } = observability;
  if (!tracing.enabled && metrics === undefined) return createEmbeddedRelay(engines, config, undefined, quota);
  const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer, metrics, logger });
  // The engines run here: this server exports the engine series the workers export in a cluster.
  const metered = metrics && meterEngines(metrics.registry, engines, { slm: sequenceBound(engines.slm, config), llm: sequenceBound(engines.llm, config) });
  const slm = metered?.slm ?? engines.slm;
  const llm = metered?.llm ?? engines.llm;
  const observed: RelayEngines = {
    slm: instrumentation.slm(tracedEngine(slm, { tracer: tracing.tracer, kind: 'slm', metrics: metered?.metrics })),
    llm: instrumentation.llmEngine(tracedEngine(llm, { tracer: tracing.tracer, kind: 'llm', metrics: metered?.metrics })),
    models: engines.models,
    chatTemplate: engines.chatTemplate,
  };
  return createEmbeddedRelay(observed, config, instrumentation, quota);
}

/** A GGUF model's sequence bound (`--sequences`); a model on a server has none this process knows. */
function sequenceBound(engine: Engine, config: Partial<Pick<RelayllmConfig, 'sequences'>>): number | undefined {
  return engine instanceof LlamaCppEngine ? config.sequences : undefined;
}
