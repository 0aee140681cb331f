import { createEngine } from './engine-factory';
import { LlamaCppEngine } from './llama/llama-cpp-engine';
import { OpenAiCompletionsEngine } from './openai/openai-completions-engine';

describe('createEngine', () => {
  it('llama: a LlamaCppEngine (not started) with every setting of the spec', () => {
    const engine = createEngine({ kind: 'llama', modelPath: '/m/llm.gguf', sequences: 3, threads: 2, gpu: 'off', sequenceWaitMs: 5_000 });
    expect(engine).toBeInstanceOf(LlamaCppEngine);
    expect((engine as LlamaCppEngine).options).toEqual({ modelPath: '/m/llm.gguf', sequences: 3, threads: 2, gpu: false, waitTimeoutMs: 5_000, maxWaiting: 3 });
    expect((createEngine({ kind: 'llama', modelPath: 'x', sequences: 1, threads: 1, gpu: 'auto', sequenceWaitMs: 0 }) as LlamaCppEngine).options.gpu).toBe('auto');
  });

  it('openai: an OpenAiCompletionsEngine on the server and model of the spec', () => {
    const engine = createEngine({ kind: 'openai', baseUrl: 'http://vllm:8000', model: 'teacher-7b' });
    expect(engine).toBeInstanceOf(OpenAiCompletionsEngine);
    expect((engine as OpenAiCompletionsEngine).options).toEqual({ baseUrl: 'http://vllm:8000', model: 'teacher-7b' });
  });
});
