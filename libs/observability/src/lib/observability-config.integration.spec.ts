import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'stream';
import { contentFields, createLogger } from './logger';
import { createMetricsRegistry, RelayMetrics } from './metrics';
import { startMetricsServer } from './metrics-server';
import { observabilityConfigFromEnv } from './observability-config';
import { sampleValue } from './prometheus-text';
import { extractTraceHeaders, injectGrpcMetadata, injectTraceHeaders } from './trace-context';
import { startTracing } from './tracing';
import { promtoolCheckMetrics } from '../testing/promtool';

describe('observabilityConfigFromEnv', () => {
  it('is off unless an endpoint or an exporter is configured', () => {
    expect(observabilityConfigFromEnv({}).tracing.enabled).toBe(false);
    expect(observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracing).toMatchObject({
      enabled: true,
      protocol: 'http/protobuf',
      url: 'http://127.0.0.1:4318/v1/traces',
      sampler: 'parentbased_always_on',
    });
    expect(observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).tracing.url).toBe('http://127.0.0.1:4317');
    expect(observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:1', OTEL_TRACES_EXPORTER: 'none' }).tracing.enabled).toBe(false);
    expect(observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:1', OTEL_SDK_DISABLED: 'true' }).tracing.enabled).toBe(false);
    expect(observabilityConfigFromEnv({ OTEL_TRACES_EXPORTER: 'console' }).tracing).toMatchObject({ enabled: true, exporter: 'console' });
  });

  it('reads the sampler, metrics and log settings, and names the bad variable', () => {
    const config = observabilityConfigFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:1',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      RELAYLLM_METRICS_PORT: '9464',
      RELAYLLM_LOG_CONTENT: 'true',
    });
    expect(config).toMatchObject({ metricsPort: 9464, logContent: true, logLevel: 'info', tracing: { sampler: 'traceidratio', samplerRatio: 0.25 } });
    expect(observabilityConfigFromEnv({}).logContent).toBe(false);
    expect(() => observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'carrier-pigeon' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/);
    expect(() => observabilityConfigFromEnv({ RELAYLLM_METRICS_PORT: 'x' })).toThrow(/RELAYLLM_METRICS_PORT/);
  });
});

describe('trace context helper, logger and /metrics', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(observabilityConfigFromEnv({}).tracing, { defaultServiceName: 'spec', spanProcessors: [new SimpleSpanProcessor(exporter)], registerGlobal: false });
  afterAll(() => tracing.shutdown());

  it('injects nothing without a span, and round-trips traceparent through NATS headers and gRPC metadata', () => {
    expect(injectTraceHeaders()).toBeUndefined();
    const span = tracing.tracer.startSpan('relay.call');
    const ctx = trace.setSpan(context.active(), span);
    const headers = injectTraceHeaders(ctx);
    expect(headers?.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    expect(trace.getSpanContext(extractTraceHeaders(headers))).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, isRemote: true });

    const store = new Map<string, string>();
    const metadata = { get: (k: string) => (store.has(k) ? [store.get(k)!] : []), set: (k: string, v: string) => void store.set(k, v) };
    injectGrpcMetadata(metadata, ctx);
    expect(trace.getSpanContext(extractTraceHeaders({ traceparent: store.get('traceparent') }))?.spanId).toBe(span.spanContext().spanId);
    expect(trace.getSpanContext(extractTraceHeaders({}))).toBeUndefined();
    span.end();
  });

  it('logs JSON lines with trace_id and span_id inside a span, and no prompt unless the flag says so', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ service: 'spec', level: 'info', logContent: false, destination });
    const span = tracing.tracer.startSpan('relay.generate');
    context.with(trace.setSpan(context.active(), span), () => logger.info(contentFields(logger, { prompt: 'secret prompt', output: 'abc' }), 'generation done'));
    span.end();
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ service: 'spec', msg: 'generation done', trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, prompt_chars: 13, output_chars: 3 });
    expect(lines[0]).not.toContain('secret prompt');
    expect(contentFields({ logContent: true }, { prompt: 'p' })).toEqual({ prompt: 'p' });
  });

  it('serves the registry on GET /metrics (HEAD: headers only) and 404 elsewhere', async () => {
    const registry = createMetricsRegistry({ service: 'spec' });
    const metrics = new RelayMetrics(registry);
    const server = await startMetricsServer({ registry, port: 0, host: '127.0.0.1' });
    try {
      metrics.generations.inc({ outcome: 'eos', protocol: 'grpc' }, 3);
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'eos' })).toBe(3);
      expect(sampleValue(text, 'relayllm_process_resident_memory_bytes')).toBeGreaterThan(0);
      // A gauge named *_total fails `promtool check metrics`; the per-type gauge stays.
      expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);
      expect(text).toContain('# TYPE relayllm_nodejs_active_handles gauge');
      // Prometheus' own linter (Debian's `prometheus`, installed by npm test) accepts the exposition.
      expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
      const head = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, registry.contentType, '']);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
