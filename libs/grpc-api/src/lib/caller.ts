import type { Metadata } from '@grpc/grpc-js';
import type { CallerContext } from '@relayllm/front-door';

/**
 * Metadata entry the API-key interceptor (libs/security) sets to the id of the
 * key it accepted, after removing whatever a client sent under that name: a
 * client can never choose its own tenant.
 */
export const API_KEY_ID_METADATA = 'relayllm-api-key-id';

const TRACE_CONTEXT_KEYS = ['traceparent', 'tracestate'] as const;

/**
 * The front door's view of a gRPC call: its accepted key id, its W3C trace
 * context and its deadline (Unix ms, callScope's `deadlineAtMs`; undefined: none).
 */
export function grpcCaller(metadata: Metadata, deadlineAtMs?: number): CallerContext {
  const first = (key: string): string | undefined => {
    const value = metadata.get(key)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const traceContext: Record<string, string> = {};
  for (const key of TRACE_CONTEXT_KEYS) {
    const value = first(key);
    if (value !== undefined) traceContext[key] = value;
  }
  const apiKeyId = first(API_KEY_ID_METADATA);
  return {
    protocol: 'grpc',
    ...(apiKeyId === undefined ? {} : { apiKeyId }),
    ...(traceContext.traceparent === undefined ? {} : { traceContext }),
    ...(deadlineAtMs === undefined ? {} : { deadlineAtMs }),
  };
}
