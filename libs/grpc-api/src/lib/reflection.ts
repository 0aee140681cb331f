import { dirname, join } from 'node:path';
import { loadPackageDefinition, status, type GrpcObject, type Server, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { healthFileDescriptorSet, RELAY_SERVICE_NAME, relayFileDescriptorSet } from '@relayllm/proto';
import { DescriptorIndex } from './descriptor-index';

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/** The reflection protocol versions served: v1 and its pre-release v1alpha (grpcurl and older tools ask for it). */
const REFLECTION_VERSIONS = ['v1', 'v1alpha'] as const;

/** ServerReflectionRequest as @grpc/proto-loader decodes it (`oneofs: true` names the set member). */
interface ReflectionRequest {
  host: string;
  messageRequest?: 'fileByFilename' | 'fileContainingSymbol' | 'fileContainingExtension' | 'allExtensionNumbersOfType' | 'listServices';
  fileByFilename?: string;
  fileContainingSymbol?: string;
  fileContainingExtension?: { containingType: string; extensionNumber: number };
  allExtensionNumbersOfType?: string;
  listServices?: string;
}

/** One ServerReflectionResponse, without the echo fields (valid_host, original_request). */
type ReflectionAnswer =
  | { fileDescriptorResponse: { fileDescriptorProto: Uint8Array[] } }
  | { allExtensionNumbersResponse: { baseTypeName: string; extensionNumber: number[] } }
  | { listServicesResponse: { service: Array<{ name: string }> } }
  | { errorResponse: { errorCode: number; errorMessage: string } };

/**
 * The descriptors of the public API port: relayllm.v1.RelayService and, when
 * the port serves it, grpc.health.v1.Health, each from the FileDescriptorSet
 * buf compiled at proto generation. The worker protocols under proto/ are not
 * served here (their services run on the workers' own ports).
 */
export function publicApiDescriptors(options: { health: boolean }): DescriptorIndex {
  const services = options.health ? [RELAY_SERVICE_NAME, HEALTH_SERVICE_NAME] : [RELAY_SERVICE_NAME];
  return new DescriptorIndex([relayFileDescriptorSet(), healthFileDescriptorSet()], services);
}

const notFound = (what: string): ReflectionAnswer => ({ errorResponse: { errorCode: status.NOT_FOUND, errorMessage: `${what} not found` } });

const files = (found: Uint8Array[] | undefined, what: string): ReflectionAnswer =>
  found === undefined ? notFound(what) : { fileDescriptorResponse: { fileDescriptorProto: found } };

/** Answers one reflection request from the index (pure; exported for the unit spec). */
export function answerReflectionRequest(index: DescriptorIndex, request: ReflectionRequest): ReflectionAnswer {
  switch (request.messageRequest) {
    case 'listServices':
      return { listServicesResponse: { service: index.services.map((name) => ({ name })) } };
    case 'fileByFilename': {
      const name = request.fileByFilename ?? '';
      return files(index.fileByName(name), `file ${name}`);
    }
    case 'fileContainingSymbol': {
      const symbol = request.fileContainingSymbol ?? '';
      return files(index.fileContainingSymbol(symbol), `symbol ${symbol}`);
    }
    case 'fileContainingExtension': {
      const { containingType = '', extensionNumber = 0 } = request.fileContainingExtension ?? {};
      return files(index.fileContainingExtension(containingType, extensionNumber), `extension ${extensionNumber} of ${containingType}`);
    }
    case 'allExtensionNumbersOfType': {
      const type = request.allExtensionNumbersOfType ?? '';
      const numbers = index.extensionNumbersOf(type);
      return numbers === undefined ? notFound(`type ${type}`) : { allExtensionNumbersResponse: { baseTypeName: type, extensionNumber: numbers } };
    }
    default:
      return { errorResponse: { errorCode: status.INVALID_ARGUMENT, errorMessage: 'the request names no known message_request' } };
  }
}

/** The ServerReflection service definition of one protocol version, from the .proto @grpc/reflection ships. */
function reflectionServiceDefinition(version: (typeof REFLECTION_VERSIONS)[number]): ServiceDefinition {
  const protoRoot = join(dirname(require.resolve('@grpc/reflection')), '../proto');
  const definition = loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [protoRoot], oneofs: true, defaults: false });
  const reflection = (loadPackageDefinition(definition)['grpc'] as GrpcObject)['reflection'] as GrpcObject;
  const service = (reflection[version] as GrpcObject)['ServerReflection'] as { service: ServiceDefinition };
  return service.service;
}

/**
 * Registers gRPC server reflection (v1 and v1alpha) answering from `index`:
 * list_services, file_by_filename, file_containing_symbol,
 * file_containing_extension and all_extension_numbers_of_type.
 */
export function addReflectionService(server: Server, index: DescriptorIndex): void {
  for (const version of REFLECTION_VERSIONS) {
    server.addService(reflectionServiceDefinition(version), {
      ServerReflectionInfo: (stream: ServerDuplexStream<ReflectionRequest, unknown>) => {
        stream.on('data', (request: ReflectionRequest) => {
          stream.write({ validHost: request.host, originalRequest: request, ...answerReflectionRequest(index, request) });
        });
        stream.on('end', () => stream.end());
      },
    });
  }
}
