/**
 * What a generic gRPC tool finds on the public port, over real sockets: the
 * standard health service and server reflection (v1 and v1alpha). Python's
 * grpcio clients are in python-clients.integration.spec.ts.
 */
import { dirname, join } from 'node:path';
import { credentials, loadPackageDefinition, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { healthCheckClient } from '@relayllm/testing';
import { RecordingRelayHandlerFake } from '../testing/grpc-spec-kit';
import { createRelayGrpcServer, type RelayGrpcServer } from './server';

let server: RelayGrpcServer;
let address: string;

beforeEach(async () => {
  server = createRelayGrpcServer({ relay: new RecordingRelayHandlerFake(), newRequestId: () => 'server-id' });
  address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
});

afterEach(async () => {
  await server.close(200);
});

describe('RelayService discovery over gRPC', () => {
  it('health: grpc.health.v1.Health reports SERVING for the server and the relay service', async () => {
    const health = healthCheckClient(address);
    try {
      await expect(health.check('')).resolves.toBe('SERVING');
      await expect(health.check('relayllm.v1.RelayService')).resolves.toBe('SERVING');
      server.health?.setStatus('relayllm.v1.RelayService', 'NOT_SERVING');
      await expect(health.check('relayllm.v1.RelayService')).resolves.toBe('NOT_SERVING');
      await expect(health.check('no.such.Service')).rejects.toMatchObject({ code: status.NOT_FOUND });
    } finally {
      health.close();
    }
  });

  it.each(['v1', 'v1alpha'])('reflection %s lists relayllm.v1.RelayService and serves its descriptor', async (version) => {
    const reflectionRoot = join(dirname(require.resolve('@grpc/reflection')), '../proto');
    const definition = loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [reflectionRoot] });
    const pkg = loadPackageDefinition(definition) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const ReflectionClient = pkg.grpc.reflection[version].ServerReflection;
    const reflection = new ReflectionClient(address, credentials.createInsecure());
    const ask = (request: object): Promise<any> => // eslint-disable-line @typescript-eslint/no-explicit-any
      new Promise((resolve, reject) => {
        const call = reflection.ServerReflectionInfo();
        call.on('data', (response: unknown) => {
          resolve(response);
          call.end();
        });
        call.on('error', reject);
        call.write(request);
      });
    try {
      const listed = await ask({ listServices: '' });
      const names: string[] = listed.listServicesResponse.service.map((s: { name: string }) => s.name);
      expect(names).toEqual(expect.arrayContaining(['relayllm.v1.RelayService', 'grpc.health.v1.Health']));

      const files = await ask({ fileContainingSymbol: 'relayllm.v1.RelayService' });
      const protos = (files.fileDescriptorResponse.fileDescriptorProto as Buffer[]).map((b) => fromBinary(FileDescriptorProtoSchema, b));
      const relayFile = protos.find((f) => f.package === 'relayllm.v1');
      expect(relayFile?.service[0].method.map((m) => `${m.name}(${m.inputType}) -> ${m.serverStreaming ? 'stream ' : ''}${m.outputType}`)).toEqual([
        'Generate(.relayllm.v1.GenerateRequest) -> .relayllm.v1.GenerateResponse',
        'GenerateStream(.relayllm.v1.GenerateRequest) -> stream .relayllm.v1.GenerateEvent',
      ]);
      expect(relayFile?.messageType.find((m) => m.name === 'GenerateRequest')?.field.map((f) => f.name)).toEqual([
        'prompt',
        'max_tokens',
        'temperature',
        'top_p',
        'seed',
        'stop',
        'policy',
        'limits',
        'request_id',
        'call_bias',
        'confidence_floor',
      ]);
    } finally {
      reflection.close();
    }
  });
});
