/**
 * @relayllm/proto: TypeScript generated from proto/relayllm/v1/relay.proto by
 * `npm run proto:gen` (buf + ts-proto; output in src/gen/, gitignored, never
 * edited by hand). Messages, enums, the @grpc/grpc-js service definition
 * (`RelayServiceService`), the server interface (`RelayServiceServer`) and the
 * client constructor (`RelayServiceClient`).
 */
import { FILE_DESCRIPTOR_SET_BASE64, HEALTH_FILE_DESCRIPTOR_SET_BASE64 } from './gen/descriptor-set';

export * from './gen/relayllm/v1/relay';
// Worker protocols (distributed deployment). Named exports: every generated file
// also exports protobufPackage/DeepPartial/MessageFns, which `export *` would make ambiguous.
export {
  WorkerKind,
  WorkerHeartbeat,
  WorkerErrorKind,
  WorkerError,
  CommandSyntaxKind,
  DigitToken,
  ModelChatTemplate,
  WorkerModelDescription,
  DescribeModelReply,
} from './gen/relayllm/v1/worker';
export { TokenIds, AppendOffsets, Sampling, EngineRequest, EngineFinish, EngineChunks } from './gen/relayllm/v1/engine';
export { LlmGenerateRequest, LlmGenerateReply, LlmCancel } from './gen/relayllm/v1/llm_worker';
export { SlmGenerateRequest, SlmStart, SlmAppend, SlmCancel, SlmResume, SlmClientFrame, SlmChunks, SlmError, SlmWorkerFrame, SlmWorkerServiceService, SlmWorkerServiceClient } from './gen/relayllm/v1/slm_worker';
export type { SlmWorkerServiceServer } from './gen/relayllm/v1/slm_worker';

/** Fully-qualified name of the relay service, as used by reflection and health checks. */
export const RELAY_SERVICE_NAME = 'relayllm.v1.RelayService';

/**
 * The google.protobuf.FileDescriptorSet of every file under proto/ (with
 * source comments), serialized. Feed it to gRPC server reflection or to
 * `@grpc/proto-loader`'s `loadFileDescriptorSetFromBuffer`.
 */
export function relayFileDescriptorSet(): Buffer {
  return Buffer.from(FILE_DESCRIPTOR_SET_BASE64, 'base64');
}

/**
 * The google.protobuf.FileDescriptorSet of grpc-health-check's
 * `health/v1/health.proto` (grpc.health.v1.Health), compiled by buf like
 * proto/, serialized: what server reflection serves for the health service.
 */
export function healthFileDescriptorSet(): Buffer {
  return Buffer.from(HEALTH_FILE_DESCRIPTOR_SET_BASE64, 'base64');
}
