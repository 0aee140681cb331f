import type { RelayRequest, RelayStreamEvent } from '@relayllm/relay-core';

/** The protocol a generation arrived on (a metrics label, a span attribute). */
export type CallerProtocol = 'grpc' | 'http' | 'cli';

/**
 * What a protocol adapter tells the front door about its caller, in no
 * protocol's terms: gRPC metadata and HTTP headers are read by their adapter.
 */
export interface CallerContext {
  readonly protocol: CallerProtocol;
  /**
   * Id of the API key the adapter accepted (never the key itself);
   * undefined when the server has no keys configured: one shared tenant.
   */
  readonly apiKeyId?: string;
  /** The caller's W3C trace context (`traceparent`, `tracestate`), when it sent one. */
  readonly traceContext?: Readonly<Record<string, string>>;
  /**
   * When the caller stops waiting (Unix ms), when its protocol carries a
   * deadline (gRPC); absent: none but the server's request timeout. The
   * front door gives the engines the earlier of the two
   * (EngineRequest.deadlineAtMs), so remote workers stop by themselves.
   */
  readonly deadlineAtMs?: number;
}

/** The tenant of calls that present no API key (no keys configured): they share one quota bucket. */
export const ANONYMOUS_KEY_ID = 'anonymous';

/**
 * One generation as a stream of relay-core events; what every protocol
 * adapter (gRPC, HTTP, the CLI) calls.
 *
 * Contract: throw RelayError for failures (invalid_argument before any event
 * for a bad request); end with one `completed` event; once `signal` is
 * aborted, stop the engines and return promptly.
 */
export interface RelayServiceHandler {
  generate(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncIterable<RelayStreamEvent>;
}
