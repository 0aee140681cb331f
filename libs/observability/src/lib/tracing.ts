import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './observability-config';

export const INSTRUMENTATION_NAME = 'relayllm';

/**
 * Installs the AsyncLocalStorage context manager once per process (the API's
 * default is a no-op manager that forgets the active span across awaits).
 * Needed by the relay instrumentation even when tracing is off but metrics
 * are on (it carries the generation's state through the engines).
 */
let contextManagerInstalled = false;
export function ensureContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = true;
  // false when another manager was registered first (then that one carries the context).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

export function samplerFor(config: Pick<TracingConfig, 'sampler' | 'samplerRatio'>): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

export function exporterFor(config: TracingConfig): SpanExporter {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  const options = config.url === undefined ? {} : { url: config.url };
  switch (config.protocol) {
    case 'grpc':
      return new OtlpGrpcExporter(options);
    case 'http/json':
      return new OtlpHttpJsonExporter(options);
    default:
      return new OtlpHttpProtoExporter(options);
  }
}

export interface Tracing {
  /** false: `tracer` is the API's no-op tracer and nothing is exported. */
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Exports what is buffered (tests, graceful shutdown). */
  forceFlush(): Promise<void>;
  /** Flushes and stops the exporter. Idempotent. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** service.name when OTEL_SERVICE_NAME is not set (e.g. 'relayllm-orchestrator'). */
  defaultServiceName: string;
  /** Extra processors (tests: a SimpleSpanProcessor over an InMemorySpanExporter); they turn tracing on. */
  spanProcessors?: SpanProcessor[];
  /**
   * Register as the process-wide tracer provider and W3C propagator (default
   * true; specs that start several providers in one process pass false).
   */
  registerGlobal?: boolean;
}

const NOOP_TRACING: Tracing = {
  enabled: false,
  tracer: trace.getTracer(INSTRUMENTATION_NAME),
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};

/**
 * Starts the OpenTelemetry SDK from an app's config: nothing at all when
 * tracing is off (the API's no-op tracer: no spans, no ids, no export),
 * otherwise a NodeTracerProvider with the configured sampler and a batching
 * OTLP exporter (gRPC, HTTP protobuf or HTTP JSON).
 */
export function startTracing(config: TracingConfig, options: StartTracingOptions): Tracing {
  const extra = options.spanProcessors ?? [];
  if (!config.enabled && extra.length === 0) return NOOP_TRACING;
  ensureContextManager();
  const processors: SpanProcessor[] = config.enabled ? [new BatchSpanProcessor(exporterFor(config)), ...extra] : extra;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName ?? options.defaultServiceName }),
    sampler: samplerFor(config),
    spanProcessors: processors,
  });
  if (options.registerGlobal ?? true) {
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: provider.getTracer(INSTRUMENTATION_NAME),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => (stopping ??= provider.shutdown()),
  };
}
