import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type DescriptorProto } from '@bufbuild/protobuf/wkt';
import { EngineFinish, SlmClientFrame, SlmWorkerFrame, SlmWorkerServiceService, relayFileDescriptorSet } from './index';

describe('@relayllm/proto SLM worker protocol (generated)', () => {
  it('encodes both oneofs as discriminated unions, the output batch inside its frame', () => {
    const start = SlmClientFrame.fromPartial({
      frame: { $case: 'start', value: { generationId: 'g/slm', request: { generateSeq: 1, request: { sequenceId: 'g/slm', maxTokens: 4 } } } },
    });
    expect(SlmClientFrame.decode(SlmClientFrame.encode(start).finish()).frame?.$case).toBe('start');
    const chunks = SlmWorkerFrame.fromPartial({
      frame: { $case: 'chunks', value: { generateSeq: 2, chunks: { tokens: [65, 259], tokenTexts: ['A', '</call>'], text: 'A</call>' }, paused: true } },
    });
    const decoded = SlmWorkerFrame.decode(SlmWorkerFrame.encode(chunks).finish());
    expect(decoded.frame).toMatchObject({ $case: 'chunks', value: { chunks: { tokens: [65, 259], finish: EngineFinish.ENGINE_FINISH_UNSPECIFIED }, paused: true } });
  });

  it('defines Decode as a bidirectional stream', () => {
    expect(SlmWorkerServiceService.decode).toMatchObject({
      path: '/relayllm.v1.SlmWorkerService/Decode',
      requestStream: true,
      responseStream: true,
    });
  });

  it.each(['slm_worker', 'llm_worker', 'engine', 'worker'])('%s.proto documents every message, field, enum value, service and method', (name) => {
    const set = fromBinary(FileDescriptorSetSchema, relayFileDescriptorSet());
    const file = set.file.find((f) => f.name === `relayllm/v1/${name}.proto`);
    if (file === undefined) throw new Error(`${name}.proto missing from the descriptor set`);
    const documented = new Set(
      (file.sourceCodeInfo?.location ?? []).filter((l) => l.leadingComments.trim() !== '').map((l) => l.path.join('.')),
    );
    const missing: string[] = [];
    const need = (path: number[], name: string): void => {
      if (!documented.has(path.join('.'))) missing.push(name);
    };
    const walk = (message: DescriptorProto, path: number[]): void => {
      need(path, message.name);
      message.field.forEach((f, i) => need([...path, 2, i], `${message.name}.${f.name}`));
    };
    file.messageType.forEach((m, i) => walk(m, [4, i]));
    file.enumType.forEach((e, i) => e.value.forEach((v, j) => need([5, i, 2, j], `${e.name}.${v.name}`)));
    file.service.forEach((s, i) => s.method.forEach((m, j) => need([6, i, 2, j], `${s.name}.${m.name}`)));
    expect(missing).toEqual([]);
  });
});
