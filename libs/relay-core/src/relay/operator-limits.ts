import { validateConfidenceFloor } from './confidence-floor';
import { DEFAULT_MAX_TURNS, DEFAULT_SERVER_LIMITS, type RelayRequest, type RelayServerLimits } from './relay-request';

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

/**
 * The request with the operator's defaults written into it where it names
 * none: what validation would apply anyway, made explicit so that whatever
 * reads the request later sees the generation as it runs (a cluster's request
 * fingerprint and saved state, a replica resuming it under other settings).
 * relay-core's own defaults (5 turns, no floor) are left implicit, so a
 * request under them is exactly what it was before operators could set any.
 */
export function withServerDefaults(request: RelayRequest, limits: RelayServerLimits): RelayRequest {
  const filled: RelayRequest = { ...request };
  if (request.maxTurns === undefined && limits.defaultMaxTurns !== DEFAULT_MAX_TURNS) filled.maxTurns = limits.defaultMaxTurns;
  if (request.confidenceFloor === undefined && limits.defaultConfidenceFloor !== undefined) filled.confidenceFloor = { ...limits.defaultConfidenceFloor };
  return filled;
}
