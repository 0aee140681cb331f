import type { RelayLimits, RelayPolicy } from './relay-request';

/** What the session knows when a well-formed command `<call>n</call>` completes. */
export interface CallDecisionInput {
  requestedN: number;
  policy: RelayPolicy;
  limits: RelayLimits;
  callsSoFar: number;
  responseTokensSoFar: number;
  llmTokensSoFar: number;
}

/**
 * The grant rule: n = min(requested, per-call cap, remaining response budget,
 * remaining LLM total). Returns 0 for "no call", which happens when n = 0, the
 * policy is not RELAY, the SLM already used its maxTurns - 1 calls (the turn
 * limit makes later commands no-calls rather than errors, so the SLM simply
 * goes on writing), or a cap leaves nothing to grant.
 */
export function grantedTokens(input: CallDecisionInput): number {
  const { requestedN, policy, limits, callsSoFar, responseTokensSoFar, llmTokensSoFar } = input;
  if (requestedN <= 0 || policy !== 'RELAY') return 0;
  if (callsSoFar >= limits.maxTurns - 1) return 0;
  const granted = Math.min(
    requestedN,
    limits.maxLlmTokensPerCall,
    limits.maxTokens - responseTokensSoFar,
    limits.maxLlmTokensTotal - llmTokensSoFar,
  );
  return Math.max(0, granted);
}
