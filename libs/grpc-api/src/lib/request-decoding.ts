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

type FieldsByNumber = ReadonlyMap<number, FieldDescriptorProto>;

/** relay.proto's messages by full name (`.relayllm.v1.GenerateRequest`), each one's fields by number: from the descriptor buf compiled (not restated here). */
const MESSAGE_FIELDS: ReadonlyMap<string, FieldsByNumber> = (() => {
  const set = fromBinary(FileDescriptorSetSchema, relayFileDescriptorSet());
  const entries = set.file.flatMap((file) => file.messageType.map((m) => [`.${file.package}.${m.name}`, new Map(m.field.map((f) => [f.number, f]))] as const));
  return new Map(entries);
})();

const GENERATE_REQUEST_FIELDS: FieldsByNumber = (() => {
  const fields = MESSAGE_FIELDS.get('.relayllm.v1.GenerateRequest');
  if (fields === undefined) throw new Error('relayllm.v1.GenerateRequest is missing from the compiled descriptors');
  return fields;
})();

const invalid = (message: string, field?: string): RelayError =>
  RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, message, field);

/**
 * What the generated decoder lets through silently, found by walking the
 * fields, nested messages included (`limits`, `confidence_floor`): a known
 * field written with another wire type (skipped by the decoder, so the
 * request would run without it: a floor whose threshold were skipped would
 * read as 0, no floor), and an int32 or enum varint outside int32 (truncated
 * by the decoder: policy 2^40 would read as 0, the default policy).
 */
function wireMismatch(bytes: Uint8Array, fields: FieldsByNumber = GENERATE_REQUEST_FIELDS, prefix = ''): RelayError | undefined {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    const field = fields.get(number);
    if (field === undefined) {
      reader.skip(wireType, number);
      continue;
    }
    const name = `${prefix}${field.name}`;
    const expected = wireTypeOf(field.type);
    const packed = wireType === WireType.LengthDelimited && expected !== WireType.LengthDelimited;
    if (wireType !== expected && !packed) return invalid(`${name} has wire type ${wireType}, expected ${expected}`, name);
    if (wireType === WireType.Varint && INT32_RANGE_TYPES.has(field.type)) {
      const value = BigInt(reader.int64());
      if (value < -(2n ** 31n) || value >= 2n ** 31n) return invalid(`${name} ${value} is outside the int32 range of its type`, name);
      continue;
    }
    const nested = field.type === FieldType.MESSAGE ? MESSAGE_FIELDS.get(field.typeName) : undefined;
    if (nested !== undefined) {
      const inner = wireMismatch(reader.bytes(), nested, `${name}.`);
      if (inner !== undefined) return inner;
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
