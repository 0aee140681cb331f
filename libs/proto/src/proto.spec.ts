import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type DescriptorProto, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import {
  FinishReason,
  GenerateEvent,
  GenerateRequest,
  Policy,
  RELAY_SERVICE_NAME,
  RelayServiceService,
  Source,
  relayFileDescriptorSet,
} from './index';

const relayFile = (): FileDescriptorProto => {
  const set = fromBinary(FileDescriptorSetSchema, relayFileDescriptorSet());
  const file = set.file.find((f) => f.name === 'relayllm/v1/relay.proto');
  if (file === undefined) throw new Error('relay.proto missing from the descriptor set');
  return file;
};

describe('@relayllm/proto (generated)', () => {
  it('keeps absent optional scalars distinct from 0 on the wire', () => {
    const absent = GenerateRequest.decode(GenerateRequest.encode(GenerateRequest.fromPartial({ prompt: 'p', maxTokens: 5 })).finish());
    expect(absent.temperature).toBeUndefined();
    expect(absent.seed).toBeUndefined();
    expect(absent.limits).toBeUndefined();
    const zeros = GenerateRequest.decode(
      GenerateRequest.encode(
        GenerateRequest.fromPartial({ prompt: 'p', maxTokens: 5, temperature: 0, seed: 0, limits: { maxLlmTokensPerCall: 0 } }),
      ).finish(),
    );
    expect(zeros).toMatchObject({ temperature: 0, seed: 0, limits: { maxLlmTokensPerCall: 0 } });
    expect(zeros.limits?.maxTurns).toBeUndefined();
  });

  it('keeps an enum value this build does not know (proto3 open enums)', () => {
    const decoded = GenerateRequest.decode(GenerateRequest.encode(GenerateRequest.fromPartial({ policy: 42 as Policy })).finish());
    expect(decoded.policy).toBe(42);
    expect(Policy.POLICY_UNSPECIFIED).toBe(0);
  });

  it('encodes the GenerateEvent oneof as a discriminated union', () => {
    const event = GenerateEvent.fromPartial({ event: { $case: 'text', value: { source: Source.SOURCE_LLM, text: 'hi', tokenCount: 2 } } });
    const decoded = GenerateEvent.decode(GenerateEvent.encode(event).finish());
    expect(decoded.event).toEqual({ $case: 'text', value: { source: Source.SOURCE_LLM, text: 'hi', tokenCount: 2 } });
    const done = GenerateEvent.decode(
      GenerateEvent.encode(GenerateEvent.fromPartial({ event: { $case: 'completed', value: { finishReason: FinishReason.FINISH_REASON_EOS } } })).finish(),
    );
    expect(done.event?.$case).toBe('completed');
  });

  it('exposes the grpc-js service definition', () => {
    expect(RelayServiceService.generate.path).toBe(`/${RELAY_SERVICE_NAME}/Generate`);
    expect(RelayServiceService.generateStream).toMatchObject({ path: `/${RELAY_SERVICE_NAME}/GenerateStream`, responseStream: true });
  });

  it('embeds a descriptor set with the service and its two methods', () => {
    const file = relayFile();
    expect(file.package).toBe('relayllm.v1');
    expect(file.service.map((s) => s.name)).toEqual(['RelayService']);
    expect(file.service[0].method.map((m) => [m.name, m.serverStreaming])).toEqual([
      ['Generate', false],
      ['GenerateStream', true],
    ]);
  });

  it('documents every message, field, enum, enum value, service and method (leading comments)', () => {
    const file = relayFile();
    const documented = new Set(
      (file.sourceCodeInfo?.location ?? []).filter((l) => l.leadingComments.trim() !== '').map((l) => l.path.join('.')),
    );
    // Paths per descriptor.proto: message_type = 4 (field = 2), enum_type = 5 (value = 2), service = 6 (method = 2).
    const missing: string[] = [];
    const need = (path: number[], name: string): void => {
      if (!documented.has(path.join('.'))) missing.push(name);
    };
    const walkMessage = (message: DescriptorProto, path: number[], prefix: string): void => {
      need(path, prefix);
      message.field.forEach((f, i) => need([...path, 2, i], `${prefix}.${f.name}`));
      message.nestedType.forEach((m, i) => walkMessage(m, [...path, 3, i], `${prefix}.${m.name}`));
    };
    file.messageType.forEach((m, i) => walkMessage(m, [4, i], m.name));
    file.enumType.forEach((e, i) => {
      need([5, i], e.name);
      e.value.forEach((v, j) => need([5, i, 2, j], `${e.name}.${v.name}`));
    });
    file.service.forEach((s, i) => {
      need([6, i], s.name);
      s.method.forEach((m, j) => need([6, i, 2, j], `${s.name}.${m.name}`));
    });
    expect(missing).toEqual([]);
  });
});
