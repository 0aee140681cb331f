import type { RelayFrontDoor } from '@relayllm/front-door';
import type { TokenQuota } from '@relayllm/relay-cluster';
import {
  RelayInstrumentation,
  tracedEngine,
  type GenerationLogger,
  type RelayMetrics,
  type Tracing,
} from '@relayllm/observability';
import type { RelayllmConfig } from './config';
import { createEmbeddedRelay, type RelayEngines } from './embedded-host';

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
  config: Pick<RelayllmConfig, 'maxTokensLimit' | 'requestTimeoutMs'>,
  observability: EmbeddedObservability | undefined,
  quota?: TokenQuota,
): RelayFrontDoor {
  if (observability === undefined) return createEmbeddedRelay(engines, config, undefined, quota);
  const { tracing, metrics, logger } = observability;
  if (!tracing.enabled && metrics === undefined) return createEmbeddedRelay(engines, config, undefined, quota);
  const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer, metrics, logger });
  const observed: RelayEngines = {
    slm: instrumentation.slm(tracedEngine(engines.slm, { tracer: tracing.tracer, kind: 'slm' })),
    llm: instrumentation.llmEngine(tracedEngine(engines.llm, { tracer: tracing.tracer, kind: 'llm' })),
    models: engines.models,
    chatTemplate: engines.chatTemplate,
  };
  return createEmbeddedRelay(observed, config, instrumentation, quota);
}
