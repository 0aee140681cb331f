import { loadSettings } from './settings';
import { WORKER_SEQUENCE_WAIT_MS, workerEngineSpec, workerSettingEnv, workerSettingFields } from './worker-settings';
import { z } from 'zod';

const DEFAULTS = { natsUrl: 'nats://n:1', model: 'llm', modelPath: '/m/llm.gguf', threads: 1, gpu: 'auto' as const, maxSequences: 4, heartbeatIntervalMs: 1_000, shutdownGraceMs: 5_000 };
const schema = z.object(workerSettingFields('llm', DEFAULTS));
const load = (env: Record<string, string>) => loadSettings(schema, { env: workerSettingEnv('llm') }, { env });

describe('worker settings', () => {
  it("read the role's variables, give each process its own id, and refuse bad values naming the variable", () => {
    const a = load({ RELAYLLM_LLM_MAX_SEQUENCES: '2', RELAYLLM_GPU: 'off', RELAYLLM_LLM_MODEL_PATH: 'rel/x.gguf' });
    expect(a).toMatchObject({ maxSequences: 2, gpu: 'off', model: 'llm', natsUrl: 'nats://n:1' });
    expect(a.modelPath).toBe(`${process.cwd()}/rel/x.gguf`);
    expect(a.workerId).toMatch(/^llm-[0-9a-f]{8}$/);
    expect(load({}).workerId).not.toBe(a.workerId);
    expect(() => load({ RELAYLLM_LLM_THREADS: '0', RELAYLLM_GPU: 'cuda' })).toThrow(/RELAYLLM_LLM_THREADS: .*\n\s*RELAYLLM_GPU: must be one of auto, off/);
  });

  it('choose the engine: the GGUF with one sequence per generation, or the OpenAI server under its model name', () => {
    const settings = { model: 'llm', modelPath: '/m/llm.gguf', threads: 2, gpu: 'off' as const, maxSequences: 3 };
    expect(workerEngineSpec(settings)).toEqual({ kind: 'llama', modelPath: '/m/llm.gguf', sequences: 3, threads: 2, gpu: 'off', sequenceWaitMs: WORKER_SEQUENCE_WAIT_MS });
    expect(workerEngineSpec({ ...settings, engine: 'openai', openaiBaseUrl: 'http://v:8000', openaiModel: '' })).toEqual({ kind: 'openai', baseUrl: 'http://v:8000', model: 'llm' });
    expect(workerEngineSpec({ ...settings, engine: 'openai', openaiBaseUrl: 'http://v:8000', openaiModel: 'teacher-7b' })).toMatchObject({ model: 'teacher-7b' });
  });

  it('RELAYLLM_<ROLE>_MODEL_SOURCE: a .gguf file or an OpenAI-compatible URL, winning over the path and the legacy engine settings', () => {
    const settings = { model: 'llm', modelPath: '/m/llm.gguf', threads: 2, gpu: 'off' as const, maxSequences: 3, engine: 'openai' as const, openaiBaseUrl: 'http://old:1' };
    const served = load({ RELAYLLM_LLM_MODEL_SOURCE: 'http://vllm:8000/v1#Qwen/Qwen3-8B', RELAYLLM_LLM_CONTEXT_LENGTH: '4096' });
    expect(workerEngineSpec({ ...settings, ...served })).toEqual({ kind: 'openai', baseUrl: 'http://vllm:8000', model: 'Qwen/Qwen3-8B', contextLength: 4096 });
    expect(workerEngineSpec({ ...settings, ...load({ RELAYLLM_LLM_MODEL_SOURCE: 'http://vllm:8000' }) })).toEqual({ kind: 'openai', baseUrl: 'http://vllm:8000', model: '' });
    const file = load({ RELAYLLM_LLM_MODEL_SOURCE: '/other/teacher.gguf' });
    expect(workerEngineSpec({ ...settings, ...file })).toMatchObject({ kind: 'llama', modelPath: '/other/teacher.gguf', sequences: 4 });
    expect(load({}).modelSource).toBeUndefined();
    expect(() => load({ RELAYLLM_LLM_MODEL_SOURCE: 'teacher.bin' })).toThrow(/RELAYLLM_LLM_MODEL_SOURCE: must be a \.gguf file or an http/);
  });
});
