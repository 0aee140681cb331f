import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type DescriptorProto } from '@bufbuild/protobuf/wkt';
import { SlmClientFrame, SlmFinish, SlmGenerateRequest, SlmWorkerFrame, SlmWorkerServiceService, relayFileDescriptorSet } from './index';

describe('@relayllm/proto SLM worker protocol (generated)', () => {
  it('keeps absent context ids distinct from an empty list, and absent sampling fields distinct from 0', () => {
    const absent = SlmGenerateRequest.decode(SlmGenerateRequest.encode(SlmGenerateRequest.fromPartial({ contextText: 'a', maxTokens: 3 })).finish());
    expect(absent.contextTokens).toBeUndefined();
    expect(absent.appendFromTokens).toBeUndefined();
    const zeros = SlmGenerateRequest.decode(
      SlmGenerateRequest.encode(
        SlmGenerateRequest.fromPartial({ contextTokens: { ids: [] }, appendFromTokens: 0, sampling: { temperature: 0, seed: 0 } }),
      ).finish(),
    );
    expect(zeros.contextTokens).toEqual({ ids: [] });
    expect(zeros.appendFromTokens).toBe(0);
    expect(zeros.sampling).toEqual({ temperature: 0, topP: undefined, seed: 0 });
  });

  it('encodes both oneofs as discriminated unions', () => {
    const start = SlmClientFrame.fromPartial({ frame: { $case: 'start', value: { generationId: 'g/slm', request: { generateSeq: 1, maxTokens: 4 } } } });
    expect(SlmClientFrame.decode(SlmClientFrame.encode(start).finish()).frame?.$case).toBe('start');
    const chunks = SlmWorkerFrame.fromPartial({
      frame: { $case: 'chunks', value: { generateSeq: 2, tokens: [65, 259], tokenTexts: ['A', '</call>'], text: 'A</call>', paused: true } },
    });
    const decoded = SlmWorkerFrame.decode(SlmWorkerFrame.encode(chunks).finish());
    expect(decoded.frame).toMatchObject({ $case: 'chunks', value: { tokens: [65, 259], paused: true, finish: SlmFinish.SLM_FINISH_UNSPECIFIED } });
  });

  it('defines Decode as a bidirectional stream', () => {
    expect(SlmWorkerServiceService.decode).toMatchObject({
      path: '/relayllm.v1.SlmWorkerService/Decode',
      requestStream: true,
      responseStream: true,
    });
  });

  it('documents every message, field, enum value, service and method', () => {
    const set = fromBinary(FileDescriptorSetSchema, relayFileDescriptorSet());
    const file = set.file.find((f) => f.name === 'relayllm/v1/slm_worker.proto');
    if (file === undefined) throw new Error('slm_worker.proto missing from the descriptor set');
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
