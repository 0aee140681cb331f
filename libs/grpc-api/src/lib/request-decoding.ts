import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { FieldDescriptorProto_Type as FieldType, FileDescriptorSetSchema, type FieldDescriptorProto } from '@bufbuild/protobuf/wkt';
import type { handleServerStreamingCall, handleUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { GenerateRequest, relayFileDescriptorSet, RelayServiceService, type GenerateEvent, type GenerateResponse } from '@relayllm/proto';
import { InvalidArgumentReason, RelayError } from '@relayllm/relay-core';

/**
 * A request body as the server decoded it: the request, or why the bytes are
 * not one. grpc-js ends a call whose deserializer throws with a bare
 * INTERNAL before any handler runs; a client that sent bad bytes must get
 * INVALID_ARGUMENT naming what is wrong, so the deserializer never throws
 * and the handler answers with `invalid`.
 */
export type DecodedGenerateRequest = { readonly request: GenerateRequest; readonly invalid?: undefined } | { readonly invalid: RelayError };

const VARINT_TYPES = new Set([FieldType.INT32, FieldType.INT64, FieldType.UINT32, FieldType.UINT64, FieldType.SINT32, FieldType.SINT64, FieldType.BOOL, FieldType.ENUM]);
const FIXED64_TYPES = new Set([FieldType.DOUBLE, FieldType.FIXED64, FieldType.SFIXED64]);
const FIXED32_TYPES = new Set([FieldType.FLOAT, FieldType.FIXED32, FieldType.SFIXED32]);
const INT32_RANGE_TYPES = new Set([FieldType.INT32, FieldType.ENUM]);

/** The wire type a field of `type` is written with (packed repeated scalars are length-delimited too). */
function wireTypeOf(type: FieldType): WireType {
  if (VARINT_TYPES.has(type)) return WireType.Varint;
  if (FIXED64_TYPES.has(type)) return WireType.Bit64;
  if (FIXED32_TYPES.has(type)) return WireType.Bit32;
  return WireType.LengthDelimited;
}

/** GenerateRequest's top-level fields by number, from the descriptor buf compiled (not restated here). */
const GENERATE_REQUEST_FIELDS: ReadonlyMap<number, FieldDescriptorProto> = (() => {
  const set = fromBinary(FileDescriptorSetSchema, relayFileDescriptorSet());
  const message = set.file.flatMap((file) => file.messageType).find((m) => m.name === 'GenerateRequest');
  if (message === undefined) throw new Error('relayllm.v1.GenerateRequest is missing from the compiled descriptors');
  return new Map(message.field.map((field) => [field.number, field]));
})();

const invalid = (message: string, field?: string): RelayError =>
  RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, message, field);

/**
 * What the generated decoder lets through silently, found by walking the
 * top-level fields: a known field written with another wire type (skipped by
 * the decoder, so the request would run without it), and an int32 or enum
 * varint outside int32 (truncated by the decoder: policy 2^40 would read as
 * 0, the default policy).
 */
function wireMismatch(bytes: Uint8Array): RelayError | undefined {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    const field = GENERATE_REQUEST_FIELDS.get(number);
    if (field === undefined) {
      reader.skip(wireType, number);
      continue;
    }
    const expected = wireTypeOf(field.type);
    const packed = wireType === WireType.LengthDelimited && expected !== WireType.LengthDelimited;
    if (wireType !== expected && !packed) return invalid(`${field.name} has wire type ${wireType}, expected ${expected}`, field.name);
    if (wireType === WireType.Varint && INT32_RANGE_TYPES.has(field.type)) {
      const value = BigInt(reader.int64());
      if (value < -(2n ** 31n) || value >= 2n ** 31n) return invalid(`${field.name} ${value} is outside the int32 range of its type`, field.name);
      continue;
    }
    reader.skip(wireType, number);
  }
  return undefined;
}

/** The deserializer of both RPCs: never throws. */
export function decodeGenerateRequest(bytes: Uint8Array): DecodedGenerateRequest {
  try {
    const mismatch = wireMismatch(bytes);
    if (mismatch !== undefined) return { invalid: mismatch };
    return { request: GenerateRequest.decode(bytes) };
  } catch (error) {
    return { invalid: invalid(`the request body is not a relayllm.v1.GenerateRequest: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

/** relayllm.v1.RelayService as this server registers it: the generated definition with the decoder above. */
export const RELAY_SERVICE_DEFINITION = {
  generate: { ...RelayServiceService.generate, requestDeserialize: decodeGenerateRequest },
  generateStream: { ...RelayServiceService.generateStream, requestDeserialize: decodeGenerateRequest },
} satisfies ServiceDefinition;

/** The RelayService handlers over decoded requests. */
export interface RelayServiceImplementation extends UntypedServiceImplementation {
  generate: handleUnaryCall<DecodedGenerateRequest, GenerateResponse>;
  generateStream: handleServerStreamingCall<DecodedGenerateRequest, GenerateEvent>;
}

/** The request of a decoded body, or its decoding error thrown (the call's catch answers it). */
export function wireRequestOf(decoded: DecodedGenerateRequest): GenerateRequest {
  if (decoded.invalid !== undefined) throw decoded.invalid;
  return decoded.request;
}
