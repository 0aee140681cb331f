import type { RelayServiceHandler } from '@relayllm/grpc-api';
import type { TokenQuota } from '@relayllm/relay-cluster';
import { ResourceExhaustedReason, RelayError } from '@relayllm/relay-core';
import { API_KEY_ID_METADATA } from './api-key-interceptor';

/** The quota key of calls without an API key (no keys configured): they share one bucket. */
export const ANONYMOUS_KEY_ID = 'anonymous';

/**
 * Wraps a handler with the per-key LLM-token quota: a key whose bucket is
 * empty gets RESOURCE_EXHAUSTED (LLM_TOKEN_QUOTA_EXCEEDED) before anything
 * runs; an admitted generation is charged the LLM tokens it used (its final
 * usage, or the relays finished so far when it was cancelled or failed).
 */
export function withLlmTokenQuota(handler: RelayServiceHandler, quota: TokenQuota): RelayServiceHandler {
  return {
    async *generate(request, signal, call) {
      const presented = call?.metadata.get(API_KEY_ID_METADATA)[0];
      const key = typeof presented === 'string' ? presented : ANONYMOUS_KEY_ID;
      const decision = quota.admit(key);
      if (!decision.admitted) {
        throw RelayError.resourceExhausted(
          ResourceExhaustedReason.LLM_TOKEN_QUOTA_EXCEEDED,
          `the LLM token quota of key "${key}" is used up; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
        );
      }
      let llmTokens = 0;
      try {
        for await (const event of handler.generate(request, signal, call)) {
          if (event.type === 'relayFinished') llmTokens += event.tokensWritten;
          else if (event.type === 'completed') llmTokens = event.usage.llmTokens;
          yield event;
        }
      } finally {
        quota.charge(key, llmTokens);
      }
    },
  };
}
