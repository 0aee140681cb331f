import { dirname } from 'node:path';
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { relayFileDescriptorSet } from '@relayllm/proto';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/**
 * The services a generic client (grpcurl, grpcui, Postman) can discover by
 * server reflection: relayllm.v1.RelayService (from the descriptor set that
 * proto generation embeds, comments included) and grpc.health.v1.Health.
 */
export function reflectedPackageDefinition(): PackageDefinition {
  // health.proto lives at <root>/health/v1/health.proto in grpc-health-check.
  const healthRoot = dirname(dirname(dirname(healthProtoPath)));
  return {
    ...loadFileDescriptorSetFromBuffer(relayFileDescriptorSet()),
    ...loadSync('health/v1/health.proto', { includeDirs: [healthRoot] }),
  };
}
