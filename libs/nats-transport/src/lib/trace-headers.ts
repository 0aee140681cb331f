import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';

/**
 * W3C trace context travels in NATS headers. This layer only passes the two
 * headers through (libs/observability fills them with OpenTelemetry).
 */
export const TRACE_HEADER_NAMES = ['traceparent', 'tracestate'] as const;

export type TraceHeaders = Partial<Record<(typeof TRACE_HEADER_NAMES)[number], string>>;

/** The trace headers of a received message (absent ones left out). */
export function traceHeadersFrom(headers: MsgHdrs | undefined): TraceHeaders {
  const out: TraceHeaders = {};
  if (headers === undefined) return out;
  for (const name of TRACE_HEADER_NAMES) {
    const value = headers.get(name);
    if (value !== '') out[name] = value;
  }
  return out;
}

/** NATS headers carrying `trace`, or undefined when there is nothing to carry (no header block on the wire). */
export function toNatsHeaders(trace: TraceHeaders | undefined): MsgHdrs | undefined {
  if (trace === undefined) return undefined;
  let hdrs: MsgHdrs | undefined;
  for (const name of TRACE_HEADER_NAMES) {
    const value = trace[name];
    if (value === undefined || value === '') continue;
    hdrs ??= natsHeaders();
    hdrs.set(name, value);
  }
  return hdrs;
}
