import { Metadata, ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor } from '@grpc/grpc-js';
import { API_KEY_ID_METADATA, ERROR_REASON_METADATA_KEY } from '@relayllm/grpc-api';
import type { ApiKeyRing } from './api-keys';
import { UnauthenticatedReason } from '@relayllm/relay-core';

/** Methods under these service prefixes need a key; health checks and reflection stay open (probes send no key). */
export const PROTECTED_SERVICE_PREFIXES: readonly string[] = ['/relayllm.'];

/** The key a call presents: `authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedApiKey(metadata: Metadata): string | undefined {
  const authorization = metadata.get('authorization')[0];
  if (typeof authorization === 'string') {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer !== null) return bearer[1];
  }
  const header = metadata.get('x-api-key')[0];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

function unauthenticated(reason: UnauthenticatedReason, details: string) {
  const trailers = new Metadata();
  trailers.set(ERROR_REASON_METADATA_KEY, reason);
  return { code: GrpcStatus.UNAUTHENTICATED, details, metadata: trailers };
}

/**
 * gRPC server interceptor: a call to a protected method without a valid API
 * key ends with UNAUTHENTICATED (reason API_KEY_MISSING / API_KEY_INVALID in
 * the trailers) before any handler runs; an accepted call carries the key's
 * id in `relayllm-api-key-id`.
 */
export function apiKeyInterceptor(keys: ApiKeyRing): ServerInterceptor {
  return (method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, forward) => {
            metadata.remove(API_KEY_ID_METADATA);
            if (!PROTECTED_SERVICE_PREFIXES.some((prefix) => method.path.startsWith(prefix))) {
              forward(metadata);
              return;
            }
            const presented = presentedApiKey(metadata);
            if (presented === undefined) {
              call.sendStatus(unauthenticated(UnauthenticatedReason.API_KEY_MISSING, 'an API key is required (authorization: Bearer <key>)'));
              return;
            }
            const id = keys.identify(presented);
            if (id === undefined) {
              call.sendStatus(unauthenticated(UnauthenticatedReason.API_KEY_INVALID, 'the API key is not valid'));
              return;
            }
            metadata.set(API_KEY_ID_METADATA, id);
            forward(metadata);
          },
        });
      },
    });
}
