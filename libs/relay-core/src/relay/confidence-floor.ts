import { RelayError } from '../errors/relay-error';
import { InvalidArgumentReason } from '../errors/reasons';

/**
 * A request's confidence floor: besides the commands the SLM writes, the relay
 * calls the LLM for `callTokens` tokens wherever the SLM is about to write a
 * token it gave probability below `threshold` (at greedy decoding, its top
 * probability). The unsure token is dropped and the LLM writes in its place;
 * the SLM never sees a command for such a call, so its context holds only what
 * it wrote itself. Calls the floor makes obey the grant rule (turns, budget,
 * per-call and total caps) like any other.
 */
export interface ConfidenceFloor {
  /** In (0, 1]: a token the SLM gave less than this probability is handed to the LLM. */
  threshold: number;
  /** Tokens asked of the LLM per floor call (>= 1; the grant rule caps it). */
  callTokens: number;
}

/** What a caller sends: callTokens may be left to the default. */
export interface ConfidenceFloorRequest {
  threshold: number;
  callTokens?: number;
}

/**
 * The default call length: on the reference pair 2 / 4 / 8 tokens scored
 * 95.08 / 95.58 / 95.83% at rho 2.41 / 2.83 / 3.54% (threshold 0.7); 4 buys most
 * of the accuracy for its teacher tokens.
 */
export const DEFAULT_FLOOR_CALL_TOKENS = 4;

/** Upper bound on callTokens (the per-call cap then applies on top). */
export const FLOOR_CALL_TOKENS_LIMIT = 256;

/**
 * A request's `confidenceFloor`, checked: absent stays absent, a threshold of 0
 * (a floor nothing falls below) is the same request as none. Anything else out
 * of range is INVALID_ARGUMENT CONFIDENCE_FLOOR_RANGE naming the field.
 */
export function validateConfidenceFloor(value: unknown): ConfidenceFloor | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw RelayError.invalidArgument(InvalidArgumentReason.CONFIDENCE_FLOOR_RANGE, 'confidenceFloor must be an object with a threshold', 'confidenceFloor');
  }
  const { threshold, callTokens } = value as Partial<Record<keyof ConfidenceFloor, unknown>>;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw RelayError.invalidArgument(InvalidArgumentReason.CONFIDENCE_FLOOR_RANGE,
      `confidenceFloor.threshold must be a number in [0, 1], got ${String(threshold)}`,
      'confidenceFloor.threshold',
    );
  }
  const tokens = callTokens ?? DEFAULT_FLOOR_CALL_TOKENS;
  if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 1 || tokens > FLOOR_CALL_TOKENS_LIMIT) {
    throw RelayError.invalidArgument(InvalidArgumentReason.CONFIDENCE_FLOOR_RANGE,
      `confidenceFloor.callTokens must be an integer in [1, ${FLOOR_CALL_TOKENS_LIMIT}], got ${String(callTokens)}`,
      'confidenceFloor.callTokens',
    );
  }
  return threshold === 0 ? undefined : { threshold, callTokens: tokens };
}
