import { status } from '@grpc/grpc-js';
import { GenerateRequest, type ConfidenceFloor } from '@relayllm/proto';
import { DEFAULT_FLOOR_CALL_TOKENS, FLOOR_CALL_TOKENS_LIMIT, REFERENCE_COMMAND_SYNTAX, REFERENCE_PAIR_PROFILE, runRelay, validateRelayRequest } from '@relayllm/relay-core';
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import { ERROR_FIELD_METADATA_KEY, ERROR_REASON_METADATA_KEY, toGrpcStatus } from './status';
import { toRelayRequest } from './wire-mapping';

/** A request with this floor as the bytes a client sends, decoded as the server decodes them. */
function overTheWire(confidenceFloor: Partial<ConfidenceFloor> | undefined): GenerateRequest {
  const sent = GenerateRequest.fromPartial({ prompt: 'Q', maxTokens: 8, confidenceFloor });
  return GenerateRequest.decode(GenerateRequest.encode(sent).finish());
}

/** A wire request through the adapter's mapping and the core's validation (what the front door runs), as its gRPC status. */
function statusOf(confidenceFloor: Partial<ConfidenceFloor> | undefined) {
  try {
    return { validated: validateRelayRequest(toRelayRequest(overTheWire(confidenceFloor), 'g'), REFERENCE_COMMAND_SYNTAX) };
  } catch (error) {
    return { status: toGrpcStatus(error).status };
  }
}

describe('confidence_floor on the gRPC API', () => {
  it.each([
    ['a threshold above 1', { threshold: 1.5 }, 'confidence_floor.threshold', /must be a number in \[0, 1\], got 1\.5 /],
    ['a threshold below 0', { threshold: -0.1 }, 'confidence_floor.threshold', /must be a number in \[0, 1\], got -0\.1 /],
    ['a NaN threshold', { threshold: Number.NaN }, 'confidence_floor.threshold', /must be a number in \[0, 1\], got NaN /],
    ['an infinite threshold', { threshold: Number.POSITIVE_INFINITY }, 'confidence_floor.threshold', /must be a number in \[0, 1\], got Infinity /],
    ['a -infinite threshold', { threshold: Number.NEGATIVE_INFINITY }, 'confidence_floor.threshold', /must be a number in \[0, 1\], got -Infinity /],
    // call_tokens is proto3 optional: an explicit 0 arrives as 0, not as "absent, the default".
    ['call_tokens 0', { threshold: 0.5, callTokens: 0 }, 'confidence_floor.call_tokens', /must be an integer in \[1, 256\], got 0 /],
    ['call_tokens 257', { threshold: 0.5, callTokens: FLOOR_CALL_TOKENS_LIMIT + 1 }, 'confidence_floor.call_tokens', /must be an integer in \[1, 256\], got 257 /],
  ])('refuses %s: INVALID_ARGUMENT CONFIDENCE_FLOOR_RANGE naming the wire field', (_, floor, field, message) => {
    const { status: s } = statusOf(floor);
    expect(s?.code).toBe(status.INVALID_ARGUMENT);
    expect(s?.details.startsWith(`${field}: ${field} must be `)).toBe(true);
    expect(s?.details).toMatch(message);
    expect(s?.details.endsWith(' (CONFIDENCE_FLOOR_RANGE)')).toBe(true);
    expect(s?.details).not.toMatch(/confidenceFloor|callTokens/);
    expect(s?.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual([field]);
    expect(s?.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['CONFIDENCE_FLOOR_RANGE']);
  });

  it('refuses a threshold that is not a number from a JSON client (proto3 JSON mapping reads it as NaN)', () => {
    const wire = GenerateRequest.fromJSON({ prompt: 'Q', max_tokens: 8, confidence_floor: { threshold: 'high' } });
    expect(() => validateRelayRequest(toRelayRequest(wire, 'g'), REFERENCE_COMMAND_SYNTAX)).toThrow(
      expect.objectContaining({ kind: 'invalid_argument', reason: 'CONFIDENCE_FLOOR_RANGE', field: 'confidenceFloor.threshold' }),
    );
  });

  it('carries a floor to the relay, call_tokens defaulting to 4 when absent; the bounds are accepted', () => {
    expect(DEFAULT_FLOOR_CALL_TOKENS).toBe(4);
    expect(statusOf({ threshold: 0.7 }).validated?.confidenceFloor).toEqual({ threshold: 0.7, callTokens: 4 });
    expect(statusOf({ threshold: 0.99, callTokens: 3 }).validated?.confidenceFloor).toEqual({ threshold: 0.99, callTokens: 3 });
    expect(statusOf({ threshold: 1, callTokens: FLOOR_CALL_TOKENS_LIMIT }).validated?.confidenceFloor).toEqual({ threshold: 1, callTokens: 256 });
    expect(statusOf({ threshold: 0.01, callTokens: 1 }).validated?.confidenceFloor).toEqual({ threshold: 0.01, callTokens: 1 });
    // What the adapter hands the core: the caller's values, the default left to the core.
    expect(toRelayRequest(overTheWire({ threshold: 0.7 }), 'g').confidenceFloor).toEqual({ threshold: 0.7 });
  });

  it('leaves an absent confidence_floor absent: no floor', () => {
    expect('confidenceFloor' in toRelayRequest(overTheWire(undefined), 'g')).toBe(false);
    const { validated } = statusOf(undefined);
    expect(validated).toBeDefined();
    expect(validated?.confidenceFloor).toBeUndefined();
  });

  it('threshold 0 (an empty ConfidenceFloor message, too) is no floor', () => {
    for (const floor of [{ threshold: 0 }, {}, { threshold: 0, callTokens: 8 }]) {
      const { validated } = statusOf(floor);
      expect(validated).toBeDefined();
      expect(validated?.confidenceFloor).toBeUndefined();
    }
  });

  it('an SLM that reports no token probabilities: FAILED_PRECONDITION CONFIDENCE_FLOOR_UNSUPPORTED naming confidence_floor', async () => {
    // An SLM served by an OpenAI-compatible server: text chunks, no ids, no probabilities.
    const slm = new ScriptedEngine(['ab</s>'], { mode: 'text' });
    const request = toRelayRequest(overTheWire({ threshold: 0.5 }), 'g');
    let failure: unknown;
    try {
      const events = runRelay({ slm, llm: new ScriptedEngine([]), clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal);
      for await (const event of events) if (event.type === 'completed') throw new Error('the relay ran without the probabilities it needs');
    } catch (error) {
      failure = error;
    }
    const { status: s } = toGrpcStatus(failure);
    expect(s.code).toBe(status.FAILED_PRECONDITION);
    expect(s.details).toMatch(/^confidence_floor: confidence_floor needs the probability of each token .* \(CONFIDENCE_FLOOR_UNSUPPORTED\)$/);
    expect(s.details).not.toContain('confidenceFloor');
    expect(s.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual(['confidence_floor']);
    expect(s.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['CONFIDENCE_FLOOR_UNSUPPORTED']);
  });
});
