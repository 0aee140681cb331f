import { status } from '@grpc/grpc-js';
import { GenerateRequest } from '@relayllm/proto';
import { CALL_BIAS_LIMIT, REFERENCE_COMMAND_SYNTAX, validateRelayRequest } from '@relayllm/relay-core';
import { ERROR_FIELD_METADATA_KEY, ERROR_REASON_METADATA_KEY, toGrpcStatus } from './status';
import { toRelayRequest } from './wire-mapping';

/** A wire request through the adapter's mapping and the core's validation (what the front door runs), as its gRPC status. */
function statusOf(callBias: number | undefined) {
  const wire = GenerateRequest.decode(GenerateRequest.encode(GenerateRequest.fromPartial({ prompt: 'Q', maxTokens: 8, callBias })).finish());
  try {
    return { validated: validateRelayRequest(toRelayRequest(wire, 'g'), REFERENCE_COMMAND_SYNTAX) };
  } catch (error) {
    return { status: toGrpcStatus(error).status };
  }
}

describe('call_bias on the gRPC API', () => {
  it.each([
    ['above the bound', CALL_BIAS_LIMIT + 0.5],
    ['below the bound', -CALL_BIAS_LIMIT - 1],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('refuses a value %s: INVALID_ARGUMENT CALL_BIAS_RANGE naming call_bias', (_, value) => {
    const { status: s } = statusOf(value);
    expect(s?.code).toBe(status.INVALID_ARGUMENT);
    expect(s?.details).toMatch(/^call_bias: call_bias must be a number in \[-10, 10\], got /);
    expect(s?.details).not.toContain('callBias');
    expect(s?.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual(['call_bias']);
    expect(s?.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['CALL_BIAS_RANGE']);
  });

  it('refuses a string that is not a number from a JSON client (proto3 JSON mapping reads it as NaN)', () => {
    const wire = GenerateRequest.fromJSON({ prompt: 'Q', max_tokens: 8, call_bias: 'two' });
    expect(() => validateRelayRequest(toRelayRequest(wire, 'g'), REFERENCE_COMMAND_SYNTAX)).toThrow(
      expect.objectContaining({ kind: 'invalid_argument', reason: 'CALL_BIAS_RANGE', field: 'callBias' }),
    );
  });

  it('carries a value within the bound, the bounds included, to the relay', () => {
    for (const value of [-CALL_BIAS_LIMIT, -2.5, 3, CALL_BIAS_LIMIT]) expect(statusOf(value).validated?.callBias).toBe(value);
  });

  it('leaves an absent call_bias absent: no bias', () => {
    const wire = GenerateRequest.fromPartial({ prompt: 'Q', maxTokens: 8 });
    expect('callBias' in toRelayRequest(wire, 'g')).toBe(false);
    expect(statusOf(undefined).validated?.callBias).toBe(0);
  });
});
