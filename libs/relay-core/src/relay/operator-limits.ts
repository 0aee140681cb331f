import { validateConfidenceFloor } from './confidence-floor';
import { DEFAULT_SERVER_LIMITS, type RelayServerLimits } from './relay-request';

/**
 * What an operator sets about requests (each app's config, validated there):
 * the max_tokens ceiling, and what a request that names no turn count or
 * floor gets. `defaultConfidenceFloor` is a threshold (0: no floor), the call
 * length then the floor's default.
 */
export interface OperatorRequestSettings {
  maxTokensLimit: number;
  defaultMaxTurns: number;
  defaultConfidenceFloor: number;
}

/** The server limits those settings make: relay-core's, with the operator's ceiling and defaults. */
export function serverLimitsFor(settings: OperatorRequestSettings): RelayServerLimits {
  const limits: RelayServerLimits = { ...DEFAULT_SERVER_LIMITS, maxTokensCeiling: settings.maxTokensLimit, defaultMaxTurns: settings.defaultMaxTurns };
  const floor = validateConfidenceFloor({ threshold: settings.defaultConfidenceFloor });
  if (floor !== undefined) limits.defaultConfidenceFloor = floor;
  return limits;
}
