import { context } from '@opentelemetry/api';
import type { RelayServiceHandler } from '@relayllm/grpc-api';
import type { RelayInstrumentation } from './relay-instrumentation';
import { extractGrpcMetadata } from './trace-context';

/**
 * The gRPC handler under a `relay.generate` server span whose parent is the
 * client's traceparent (gRPC metadata), when it sent one.
 */
export function instrumentRelayHandler(handler: RelayServiceHandler, instrumentation: RelayInstrumentation): RelayServiceHandler {
  return {
    generate: (request, signal, call) =>
      instrumentation.generate(() => handler.generate(request, signal, call), request, extractGrpcMetadata(call?.metadata, context.active())),
  };
}
