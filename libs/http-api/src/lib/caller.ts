import type { CallerContext } from '@relayllm/front-door';
import { RelayError, UnauthenticatedReason } from '@relayllm/relay-core';
import type { HttpRequestView } from './http-exchange';

/**
 * The API keys a server accepts (libs/security's ApiKeyRing): the id of the
 * key a presented secret matches, or undefined. The gRPC port and the HTTP
 * port of one server share one ring, so a key works on both.
 */
export interface ApiKeyVerifier {
  identify(presented: string): string | undefined;
}

/** The key a request presents: `Authorization: Bearer <key>` (OpenAI's clients) or `x-api-key: <key>`, as on gRPC. */
export function presentedApiKey(request: HttpRequestView): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.header('authorization') ?? '');
  if (bearer !== null) return bearer[1];
  const header = request.header('x-api-key')?.trim();
  return header === undefined || header === '' ? undefined : header;
}

const TRACE_CONTEXT_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * The front door's view of an HTTP caller: protocol `http`, the id of its
 * accepted key (none when the server has no keys), its W3C trace context.
 * Without a valid key where keys are configured: UNAUTHENTICATED
 * (API_KEY_MISSING / API_KEY_INVALID), before anything runs.
 */
export function httpCaller(request: HttpRequestView, keys: ApiKeyVerifier | undefined): CallerContext {
  let apiKeyId: string | undefined;
  if (keys !== undefined) {
    const presented = presentedApiKey(request);
    if (presented === undefined) {
      throw RelayError.unauthenticated(UnauthenticatedReason.API_KEY_MISSING, 'an API key is required (Authorization: Bearer <key>)');
    }
    apiKeyId = keys.identify(presented);
    if (apiKeyId === undefined) throw RelayError.unauthenticated(UnauthenticatedReason.API_KEY_INVALID, 'the API key is not valid');
  }
  const traceContext: Record<string, string> = {};
  for (const name of TRACE_CONTEXT_HEADERS) {
    const value = request.header(name);
    if (value !== undefined && value !== '') traceContext[name] = value;
  }
  return {
    protocol: 'http',
    ...(apiKeyId === undefined ? {} : { apiKeyId }),
    ...(traceContext.traceparent === undefined ? {} : { traceContext }),
  };
}
