import type { Metadata } from '@grpc/grpc-js';
import { runRelay, type RelayDeps, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';

/**
 * What the gRPC adapter calls: one generation as a stream of core events.
 * The adapter holds no relay logic; it maps the wire request to `request`,
 * aborts `signal` when the client cancels, the deadline passes or the server
 * shuts down, and maps the events back to the wire.
 *
 * Contract (as `runRelay` implements it): throw `RelayError` for failures
 * (invalid_argument before any event for bad requests); end with one
 * `completed` event; once `signal` is aborted, stop the engines and return
 * promptly.
 */
export interface RelayServiceHandler {
  generate(request: RelayRequest, signal: AbortSignal, call?: RelayCallInfo): AsyncIterable<RelayStreamEvent>;
}

/** What the adapter tells a handler about the gRPC call (e.g. W3C trace context in the metadata). */
export interface RelayCallInfo {
  metadata: Metadata;
}

/** The handler of a single-process server: relay-core's `runRelay` over started engines. */
export function runRelayHandler(deps: RelayDeps): RelayServiceHandler {
  return { generate: (request, signal) => runRelay(deps, request, signal) };
}
