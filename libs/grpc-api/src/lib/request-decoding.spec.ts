import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { GenerateRequest, Policy } from '@relayllm/proto';
import { decodeGenerateRequest } from './request-decoding';

const valid = (): BinaryWriter => new BinaryWriter().tag(1, WireType.LengthDelimited).string('Q').tag(2, WireType.Varint).uint32(8);

describe('decodeGenerateRequest (the deserializer of both RPCs)', () => {
  it('decodes a well-formed body as the generated decoder does', () => {
    const bytes = GenerateRequest.encode(GenerateRequest.fromPartial({ prompt: 'Q', maxTokens: 8, stop: ['\n'], policy: Policy.POLICY_SLM_ONLY, requestId: 'r', temperature: 0 })).finish();
    expect(decodeGenerateRequest(bytes)).toEqual({ request: GenerateRequest.decode(bytes) });
  });

  it('a truncated body is INVALID_ARGUMENT REQUEST_BODY_INVALID, never a throw', () => {
    const bytes = valid().tag(6, WireType.LengthDelimited).string('a long stop string').finish();
    const decoded = decodeGenerateRequest(bytes.subarray(0, bytes.length - 4));
    expect(decoded.invalid).toMatchObject({ kind: 'invalid_argument', reason: 'REQUEST_BODY_INVALID' });
  });

  it('a policy varint beyond int32 (2^40) is refused naming policy, not truncated to the default policy', () => {
    const decoded = decodeGenerateRequest(valid().tag(7, WireType.Varint).uint64(2n ** 40n).finish());
    expect(decoded.invalid).toMatchObject({ kind: 'invalid_argument', reason: 'REQUEST_BODY_INVALID', field: 'policy' });
    expect(GenerateRequest.decode(valid().tag(7, WireType.Varint).uint64(2n ** 40n).finish()).policy).toBe(0); // what the generated decoder alone does
  });

  it('a known field written with another wire type is refused naming it, not skipped', () => {
    const decoded = decodeGenerateRequest(new BinaryWriter().tag(1, WireType.Varint).uint32(5).tag(2, WireType.Varint).uint32(8).finish());
    expect(decoded.invalid).toMatchObject({ kind: 'invalid_argument', field: 'prompt' });
    expect(decodeGenerateRequest(valid().tag(3, WireType.Varint).uint32(1).finish()).invalid).toMatchObject({ field: 'temperature' });
  });

  it('nested messages are walked too: a confidence floor or a limit written with another wire type is refused naming it, not read as absent', () => {
    // confidence_floor (11) { threshold (1) as a varint }: the generated decoder alone would read threshold 0, no floor
    const floor = new BinaryWriter().tag(1, WireType.Varint).uint32(1).finish();
    const bytes = valid().tag(11, WireType.LengthDelimited).bytes(floor).finish();
    expect(decodeGenerateRequest(bytes).invalid).toMatchObject({ kind: 'invalid_argument', reason: 'REQUEST_BODY_INVALID', field: 'confidence_floor.threshold' });
    expect(GenerateRequest.decode(bytes).confidenceFloor?.threshold).toBe(0);
    // limits (8) { max_turns (1) as a fixed64 }
    const limits = new BinaryWriter().tag(1, WireType.Bit64).fixed64(3).finish();
    expect(decodeGenerateRequest(valid().tag(8, WireType.LengthDelimited).bytes(limits).finish()).invalid).toMatchObject({ field: 'limits.max_turns' });
    // well-formed nested messages pass
    const good = GenerateRequest.encode(GenerateRequest.fromPartial({ prompt: 'Q', maxTokens: 8, limits: { maxTurns: 3 }, confidenceFloor: { threshold: 0.5, callTokens: 2 } })).finish();
    expect(decodeGenerateRequest(good)).toEqual({ request: GenerateRequest.decode(good) });
  });

  it('unknown fields are skipped (a newer client talking to this server)', () => {
    const decoded = decodeGenerateRequest(valid().tag(99, WireType.LengthDelimited).string('future').finish());
    expect(decoded).toMatchObject({ request: { prompt: 'Q', maxTokens: 8 } });
  });
});
