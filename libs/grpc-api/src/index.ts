export { API_KEY_ID_METADATA, grpcCaller } from './lib/caller';
export {
  createRelayGrpcServer,
  relayServiceImplementation,
  type RelayErrorContext,
  type RelayGrpcServer,
  type RelayGrpcServerOptions,
  type RelayRpcMethod,
  type RelayServiceImplementationOptions,
} from './lib/server';
export {
  createRelayClient,
  type GenerateRequestInit,
  type RelayCallOptions,
  type RelayClient,
  type RelayClientOptions,
} from './lib/client';
export {
  ERROR_FIELD_METADATA_KEY,
  ERROR_REASON_METADATA_KEY,
  GRPC_STATUS_BY_KIND,
  relayErrorFromServiceError,
  toGrpcStatus,
  type RelayStatus,
  type TranslatedError,
} from './lib/status';
export { toGenerateResponse, toRelayRequest, toWireEvent, wireErrorMessage, wireFieldPath } from './lib/wire-mapping';
export { addReflectionService, HEALTH_SERVICE_NAME, publicApiDescriptors } from './lib/reflection';
export { DescriptorIndex, DescriptorIndexError } from './lib/descriptor-index';
