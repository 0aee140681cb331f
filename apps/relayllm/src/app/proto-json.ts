import { createFileRegistry, fromBinary, toJson, type FileRegistry, type JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { GenerateResponse, relayFileDescriptorSet } from '@relayllm/proto';

let registry: FileRegistry | undefined;

/**
 * A GenerateResponse as JSON with the field names of the .proto (snake_case:
 * `finish_reason`, `usage.slm_tokens`, ...), enums by name, every field
 * present. Nothing is hand-mapped: the message is encoded with the generated
 * code and printed by the canonical proto3 JSON printer from the descriptor
 * set that proto generation embeds, so the names follow relay.proto.
 */
export function generateResponseJson(response: GenerateResponse): JsonValue {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, relayFileDescriptorSet()));
  const schema = registry.getMessage('relayllm.v1.GenerateResponse');
  if (schema === undefined) throw new Error('relayllm.v1.GenerateResponse is missing from the descriptor set');
  const message = fromBinary(schema, GenerateResponse.encode(response).finish());
  return toJson(schema, message, { useProtoFieldName: true, alwaysEmitImplicit: true });
}
