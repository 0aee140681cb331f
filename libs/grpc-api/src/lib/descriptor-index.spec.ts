import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { healthFileDescriptorSet, relayFileDescriptorSet } from '@relayllm/proto';
import { DescriptorIndex, DescriptorIndexError } from './descriptor-index';
import { answerReflectionRequest, publicApiDescriptors } from './reflection';

const names = (files: Uint8Array[] | undefined): string[] | undefined => files?.map((f) => fromBinary(FileDescriptorProtoSchema, f).name);
const decoded = (files: Uint8Array[] | undefined) => (files ?? []).map((f) => fromBinary(FileDescriptorProtoSchema, f));

describe('DescriptorIndex', () => {
  const sets = [relayFileDescriptorSet(), healthFileDescriptorSet()];

  it('keeps only the files of the listed services and their imports', () => {
    expect(new DescriptorIndex(sets, ['relayllm.v1.RelayService']).fileNames()).toEqual(['relayllm/v1/relay.proto']);
    const worker = new DescriptorIndex(sets, ['relayllm.v1.SlmWorkerService']);
    expect(worker.fileNames().sort()).toEqual(['relayllm/v1/engine.proto', 'relayllm/v1/slm_worker.proto', 'relayllm/v1/worker.proto']);
  });

  it('answers a file first, then its imports, each its own compiler-made file', () => {
    const worker = new DescriptorIndex(sets, ['relayllm.v1.SlmWorkerService']);
    expect(names(worker.fileContainingSymbol('relayllm.v1.SlmWorkerService'))).toEqual([
      'relayllm/v1/slm_worker.proto',
      'relayllm/v1/engine.proto',
      'relayllm/v1/worker.proto',
    ]);
    const [engine] = decoded(worker.fileByName('relayllm/v1/engine.proto'));
    // A map field's entry is a nested message of its own file; the message holding the map is not a map entry.
    const request = engine.messageType.find((m) => m.name === 'EngineRequest');
    expect(request?.options?.mapEntry ?? false).toBe(false);
    expect(request?.nestedType.find((m) => m.name === 'TraceContextEntry')?.options?.mapEntry).toBe(true);
    // proto3 `optional` stays a flagged field in a synthetic oneof.
    const temperature = engine.messageType.find((m) => m.name === 'Sampling')?.field.find((f) => f.name === 'temperature');
    expect(temperature?.proto3Optional).toBe(true);
  });

  it.each([
    ['relayllm.v1.GenerateRequest', 'message'],
    ['.relayllm.v1.GenerateRequest', 'message with a leading dot'],
    ['relayllm.v1.GenerateRequest.top_p', 'field'],
    ['relayllm.v1.Policy', 'enum'],
    ['relayllm.v1.POLICY_RELAY', 'enum value (scoped beside its enum)'],
    ['relayllm.v1.RelayService.GenerateStream', 'method'],
  ])('finds the file declaring %s (%s)', (symbol) => {
    expect(names(publicApiDescriptors({ health: true }).fileContainingSymbol(symbol))).toEqual(['relayllm/v1/relay.proto']);
  });

  it('does not serve what the port does not serve', () => {
    const index = publicApiDescriptors({ health: false });
    expect(index.services).toEqual(['relayllm.v1.RelayService']);
    expect(index.fileContainingSymbol('grpc.health.v1.Health')).toBeUndefined();
    expect(index.fileContainingSymbol('relayllm.v1.SlmWorkerService')).toBeUndefined();
    expect(index.fileByName('relayllm/v1/slm_worker.proto')).toBeUndefined();
    expect(index.fileContainingSymbol('relayllm.v1.NoSuchThing')).toBeUndefined();
  });

  it('knows extension numbers of served messages only (none are declared)', () => {
    const index = publicApiDescriptors({ health: true });
    expect(index.extensionNumbersOf('relayllm.v1.GenerateRequest')).toEqual([]);
    expect(index.extensionNumbersOf('relayllm.v1.Nope')).toBeUndefined();
    expect(index.fileContainingExtension('relayllm.v1.GenerateRequest', 100)).toBeUndefined();
  });

  it('refuses a service no descriptor declares', () => {
    expect(() => new DescriptorIndex(sets, ['relayllm.v1.Missing'])).toThrow(DescriptorIndexError);
  });
});

describe('answerReflectionRequest', () => {
  const index = publicApiDescriptors({ health: true });

  it('lists the services', () => {
    expect(answerReflectionRequest(index, { host: '', messageRequest: 'listServices', listServices: '' })).toEqual({
      listServicesResponse: { service: [{ name: 'relayllm.v1.RelayService' }, { name: 'grpc.health.v1.Health' }] },
    });
  });

  it('answers NOT_FOUND for an unknown file, symbol or type', () => {
    const notFound = { errorResponse: { errorCode: status.NOT_FOUND, errorMessage: expect.stringContaining('not found') } };
    expect(answerReflectionRequest(index, { host: '', messageRequest: 'fileByFilename', fileByFilename: 'x.proto' })).toEqual(notFound);
    expect(answerReflectionRequest(index, { host: '', messageRequest: 'fileContainingSymbol', fileContainingSymbol: 'x.Y' })).toEqual(notFound);
    expect(answerReflectionRequest(index, { host: '', messageRequest: 'allExtensionNumbersOfType', allExtensionNumbersOfType: 'x.Y' })).toEqual(notFound);
  });

  it('answers INVALID_ARGUMENT for a request without a known message_request', () => {
    expect(answerReflectionRequest(index, { host: '' })).toMatchObject({ errorResponse: { errorCode: status.INVALID_ARGUMENT } });
  });
});
