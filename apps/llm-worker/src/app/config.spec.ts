import { LLM_WORKER_DEFAULTS, loadLlmWorkerConfig } from './config';

describe('LLM worker config', () => {
  it('has named defaults and a random worker id', () => {
    const config = loadLlmWorkerConfig({});
    expect(config).toMatchObject({ natsUrl: LLM_WORKER_DEFAULTS.natsUrl, model: 'llm', engine: 'llama', maxSequences: 4, heartbeatIntervalMs: 1_000 });
    expect(config.modelPath.endsWith('models/reference/llm.gguf')).toBe(true);
    expect(config.workerId).toMatch(/^llm-[0-9a-f]{8}$/);
    expect(loadLlmWorkerConfig({}).workerId).not.toBe(config.workerId);
  });

  it('reads RELAYLLM_* variables and names every bad one', () => {
    const config = loadLlmWorkerConfig({ RELAYLLM_NATS_URL: 'nats://h:1', RELAYLLM_LLM_MAX_SEQUENCES: '1', RELAYLLM_WORKER_ID: 'w-9', RELAYLLM_LLM_THREADS: '2' });
    expect(config).toMatchObject({ natsUrl: 'nats://h:1', maxSequences: 1, workerId: 'w-9', threads: 2 });
    expect(() => loadLlmWorkerConfig({ RELAYLLM_LLM_MAX_SEQUENCES: '0', RELAYLLM_HEARTBEAT_INTERVAL_MS: 'x' })).toThrow(
      /RELAYLLM_LLM_MAX_SEQUENCES[^\n]*\n\s*RELAYLLM_HEARTBEAT_INTERVAL_MS/,
    );
    expect(() => loadLlmWorkerConfig({ RELAYLLM_LLM_ENGINE: 'openai' })).toThrow(/RELAYLLM_LLM_OPENAI_BASE_URL/);
    expect(loadLlmWorkerConfig({ RELAYLLM_LLM_ENGINE: 'openai', RELAYLLM_LLM_OPENAI_BASE_URL: 'http://127.0.0.1:8000' }).engine).toBe('openai');
  });

  it('RELAYLLM_LLM_MODEL_SOURCE: a .gguf file or an OpenAI-compatible URL (the model name stays the pool name)', () => {
    const served = loadLlmWorkerConfig({ RELAYLLM_LLM_MODEL: 'teacher', RELAYLLM_LLM_MODEL_SOURCE: 'https://vllm:8000/v1#Qwen/Qwen3-8B', RELAYLLM_LLM_CONTEXT_LENGTH: '8192' });
    expect(served).toMatchObject({ model: 'teacher', modelSource: { kind: 'endpoint', baseUrl: 'https://vllm:8000', model: 'Qwen/Qwen3-8B' }, contextLength: 8192 });
    expect(loadLlmWorkerConfig({ RELAYLLM_LLM_MODEL_SOURCE: 'models/fixtures/qwen3/llm.gguf' }).modelSource).toMatchObject({ kind: 'gguf' });
    expect(() => loadLlmWorkerConfig({ RELAYLLM_LLM_MODEL_SOURCE: 'ftp://x' })).toThrow(/RELAYLLM_LLM_MODEL_SOURCE/);
  });
});
