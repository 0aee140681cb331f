import { BOS, ModelLoadError } from '@relayllm/llama-cpp';
import { isRelayError } from '@relayllm/relay-core';
import { IN_TASK_PROMPT, referenceModelDir } from '@relayllm/testing';
import { mkdtemp, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { bytes, collect, request } from '../../testing/engine-spec-helpers';
import { LlamaCppEngine } from './llama-cpp-engine';

/** Start, close and model-file failures of the engine, against the real reference SLM. */
const SLM = join(referenceModelDir(), 'slm.gguf');
const PROMPT = [BOS, ...bytes(`${IN_TASK_PROMPT}\n`)];

describe('LlamaCppEngine lifecycle', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'engines-spec-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('start() loads its own binding (gpu auto), close() twice is fine, generate after close is unavailable', async () => {
    const engine = new LlamaCppEngine({ modelPath: SLM, sequences: 1 });
    await engine.start();
    const out = await collect(engine.generate(request('life', PROMPT, { maxTokens: 2 }), new AbortController().signal));
    expect(out.tokens).toHaveLength(2);
    await engine.close();
    await engine.close();
    const err = await collect(engine.generate(request('life', PROMPT), new AbortController().signal)).catch((e: unknown) => e);
    expect(isRelayError(err, 'unavailable')).toBe(true);
  }, 60_000);

  it('generate before start is failed_precondition; close() during a stream ends it with unavailable', async () => {
    const engine = new LlamaCppEngine({ modelPath: SLM, sequences: 1, gpu: false });
    const early = await collect(engine.generate(request('early', PROMPT), new AbortController().signal)).catch((e: unknown) => e);
    expect(isRelayError(early, 'failed_precondition')).toBe(true);
    await engine.start();
    let closing: Promise<void> | undefined;
    const err = await collect(engine.generate(request('busy', PROMPT, { maxTokens: 400 }), new AbortController().signal), {
      onChunk: () => {
        closing ??= engine.close();
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'ENGINE_CLOSED' });
    await closing;
    expect(engine.busySequences()).toBe(0);
  }, 60_000);

  it.each([
    ['missing', (d: string) => join(d, 'nope.gguf'), 'missing'],
    ['corrupt', (d: string) => join(d, 'garbage.gguf'), 'not-gguf'],
  ])('a %s model file fails start() with ModelLoadError naming it', async (_, pathOf, reason) => {
    const path = pathOf(tmp);
    if (reason === 'not-gguf') await writeFile(path, 'not a model');
    const engine = new LlamaCppEngine({ modelPath: path, gpu: false });
    const err = await engine.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).message).toContain(path);
    expect((err as ModelLoadError).reason).toBe(reason);
    await engine.close();
  }, 60_000);
});
