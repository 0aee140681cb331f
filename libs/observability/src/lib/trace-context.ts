import { context, ROOT_CONTEXT, trace, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * The one W3C trace-context helper of every app: the same propagator for
 * gRPC metadata and NATS headers, independent of the global propagator (so it
 * works whatever else registered one). With tracing off there is no valid
 * span in the context and nothing is injected.
 */
const propagator = new W3CTraceContextPropagator();

/** The two W3C headers (the shape of libs/nats-transport's TraceHeaders). */
// A type alias, not an interface: assignable to Record<string, string | undefined> (gRPC/proto maps).
export type TraceContextHeaders = {
  traceparent?: string;
  tracestate?: string;
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** traceparent/tracestate of `ctx` (default: the active context); undefined when it has no sampled-or-not valid span. */
export function injectTraceHeaders(ctx: Context = context.active()): TraceContextHeaders | undefined {
  if (trace.getSpanContext(ctx) === undefined) return undefined;
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, recordSetter);
  return carrier.traceparent === undefined ? undefined : { traceparent: carrier.traceparent, tracestate: carrier.tracestate };
}

/** A context whose remote parent is the span in `headers` (ROOT_CONTEXT-based; unchanged when absent/invalid). */
export function extractTraceHeaders(headers: Readonly<TraceContextHeaders> | undefined, base: Context = ROOT_CONTEXT): Context {
  if (headers?.traceparent === undefined) return base;
  return propagator.extract(base, { ...headers }, recordGetter);
}

/** What both @grpc/grpc-js's Metadata and a test double provide. */
export interface MetadataLike {
  get(key: string): (string | Buffer)[];
  set(key: string, value: string): void;
}

/** Adds traceparent/tracestate of `ctx` to gRPC metadata (a client call). */
export function injectGrpcMetadata(metadata: MetadataLike, ctx: Context = context.active()): void {
  const headers = injectTraceHeaders(ctx);
  if (headers?.traceparent !== undefined) metadata.set('traceparent', headers.traceparent);
  if (headers?.tracestate !== undefined && headers.tracestate !== '') metadata.set('tracestate', headers.tracestate);
}
