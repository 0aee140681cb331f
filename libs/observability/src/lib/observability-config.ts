import { z } from 'zod';

/**
 * The observability settings of an app, read from the standard OpenTelemetry
 * environment variables plus RelayLLM's own metrics / log variables. Apps call
 * `observabilityConfigFromEnv(process.env)` in their config.ts (the only place
 * that reads the environment); this library never reads `process.env`.
 */
export const OBSERVABILITY_ENV = {
  sdkDisabled: 'OTEL_SDK_DISABLED',
  serviceName: 'OTEL_SERVICE_NAME',
  tracesExporter: 'OTEL_TRACES_EXPORTER',
  endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  tracesEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  tracesProtocol: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  sampler: 'OTEL_TRACES_SAMPLER',
  samplerArg: 'OTEL_TRACES_SAMPLER_ARG',
  metricsPort: 'RELAYLLM_METRICS_PORT',
  metricsHost: 'RELAYLLM_METRICS_HOST',
  logLevel: 'RELAYLLM_LOG_LEVEL',
  logContent: 'RELAYLLM_LOG_CONTENT',
} as const;

export const OBSERVABILITY_DEFAULTS = {
  metricsHost: '127.0.0.1',
  logLevel: 'info',
  logContent: false,
  sampler: 'parentbased_always_on',
  protocol: 'http/protobuf',
} as const;

export const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

const blankToUndefined = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(blankToUndefined, z.string().trim().optional());

const schema = z.object({
  sdkDisabled: z.preprocess(blankToUndefined, z.enum(['true', 'false']).optional()),
  serviceName: optionalString,
  // Comma-separated per the spec; the first value is used ('otlp', 'console' or 'none').
  tracesExporter: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.split(',')[0]?.trim().toLowerCase() : undefined),
    z.enum(['otlp', 'console', 'none']).optional(),
  ),
  endpoint: optionalString.pipe(z.string().url().optional()),
  tracesEndpoint: optionalString.pipe(z.string().url().optional()),
  protocol: z.preprocess(blankToUndefined, z.enum(OTLP_PROTOCOLS).optional()),
  tracesProtocol: z.preprocess(blankToUndefined, z.enum(OTLP_PROTOCOLS).optional()),
  sampler: z.preprocess(blankToUndefined, z.enum(TRACE_SAMPLERS).default(OBSERVABILITY_DEFAULTS.sampler)),
  samplerArg: z.preprocess(blankToUndefined, z.coerce.number().min(0).max(1).optional()),
  metricsPort: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(65_535).optional()),
  metricsHost: z.preprocess(blankToUndefined, z.string().trim().default(OBSERVABILITY_DEFAULTS.metricsHost)),
  logLevel: z.preprocess(
    blankToUndefined,
    z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default(OBSERVABILITY_DEFAULTS.logLevel),
  ),
  logContent: z.preprocess(blankToUndefined, z.enum(['true', 'false', '1', '0']).optional()),
});

export interface TracingConfig {
  /** false: no SDK, the OpenTelemetry API's no-op tracer (no cost). */
  enabled: boolean;
  exporter: 'otlp' | 'console';
  serviceName?: string;
  protocol: OtlpProtocol;
  /** Full URL for HTTP (…/v1/traces), host:port URL for gRPC. */
  url?: string;
  sampler: TraceSamplerName;
  /** Ratio for the traceidratio samplers (default 1). */
  samplerRatio: number;
}

export interface ObservabilityConfig {
  tracing: TracingConfig;
  /** RELAYLLM_METRICS_PORT: undefined = the app's default (usually no endpoint); 0 = any free port. */
  metricsPort?: number;
  metricsHost: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Log prompts and outputs (off by default). */
  logContent: boolean;
}

/** The OTLP traces URL: the traces endpoint as given, else the base endpoint (+ /v1/traces over HTTP). */
function tracesUrl(protocol: OtlpProtocol, endpoint?: string, tracesEndpoint?: string): string | undefined {
  if (tracesEndpoint !== undefined) return tracesEndpoint;
  if (endpoint === undefined) return undefined;
  if (protocol === 'grpc') return endpoint;
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Tracing is on only when configured: an OTLP endpoint is set or
 * OTEL_TRACES_EXPORTER names an exporter; OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none turn it off whatever else is set.
 */
export function observabilityConfigFromEnv(env: Record<string, string | undefined>): ObservabilityConfig {
  const raw = Object.fromEntries(Object.entries(OBSERVABILITY_ENV).map(([key, name]) => [key, env[name]]));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${OBSERVABILITY_ENV[i.path[0] as keyof typeof OBSERVABILITY_ENV] ?? i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid observability configuration: ${issues.join('; ')}`);
  }
  const c = parsed.data;
  const protocol = c.tracesProtocol ?? c.protocol ?? OBSERVABILITY_DEFAULTS.protocol;
  const url = tracesUrl(protocol, c.endpoint, c.tracesEndpoint);
  const configured = c.tracesExporter !== undefined ? c.tracesExporter !== 'none' : url !== undefined;
  return {
    tracing: {
      enabled: c.sdkDisabled !== 'true' && configured,
      exporter: c.tracesExporter === 'console' ? 'console' : 'otlp',
      serviceName: c.serviceName,
      protocol,
      url,
      sampler: c.sampler,
      samplerRatio: c.samplerArg ?? 1,
    },
    metricsPort: c.metricsPort,
    metricsHost: c.metricsHost,
    logLevel: c.logLevel,
    logContent: c.logContent === 'true' || c.logContent === '1',
  };
}
