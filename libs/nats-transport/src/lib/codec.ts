import { InvalidArgumentReason, RelayError } from '@relayllm/relay-core';

/** The part of a ts-proto message object that the codec needs. */
export interface ProtoCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export function encodeProto<T>(codec: ProtoCodec<T>, message: T): Uint8Array {
  return codec.encode(message).finish();
}

/** Decodes a payload; a malformed one is RelayError invalid_argument PAYLOAD_INVALID (never a raw protobuf error). */
export function decodeProto<T>(codec: ProtoCodec<T>, data: Uint8Array, what: string): T {
  try {
    return codec.decode(data);
  } catch (error) {
    throw new RelayError('invalid_argument', InvalidArgumentReason.PAYLOAD_INVALID, `malformed ${what} payload`, { cause: error });
  }
}
