import { RelayError } from '../errors/relay-error';
import { InvalidArgumentReason } from '../errors/reasons';

/**
 * The bound on `callBias` either side of 0. A logit offset of 10 multiplies
 * the odds of opening a command by e^10 (about 22,000): enough to force or
 * suppress calls on any model; larger values only add numeric risk.
 */
export const CALL_BIAS_LIMIT = 10;

/**
 * A request's `callBias`: a finite number in [-CALL_BIAS_LIMIT, CALL_BIAS_LIMIT],
 * 0 when absent. Anything else is INVALID_ARGUMENT CALL_BIAS_RANGE naming `callBias`.
 */
export function validateCallBias(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > CALL_BIAS_LIMIT) {
    const shown = typeof value === 'number' ? String(value) : `a ${value === null ? 'null' : typeof value}`;
    throw RelayError.invalidArgument(InvalidArgumentReason.CALL_BIAS_RANGE,
      `callBias must be a number in [-${CALL_BIAS_LIMIT}, ${CALL_BIAS_LIMIT}], got ${shown}`,
      'callBias',
    );
  }
  // -0 and 0 are the same request: one canonical value, so requests compare equal.
  return value === 0 ? 0 : value;
}
