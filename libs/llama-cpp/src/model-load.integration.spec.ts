import { copyFile, mkdtemp, open, rm, writeFile } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { referenceModelDir } from '@relayllm/testing';
import { defaultThreads, loadGgufModel, loadLlama, ModelLoadError, type Llama } from './index';

const dir = referenceModelDir();

describe('defaultThreads', () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 2],
    [8, 4],
    [64, 4],
  ])('%i cores -> %i threads', (cores, threads) => {
    expect(defaultThreads(cores)).toBe(threads);
  });
});

describe('loadGgufModel errors', () => {
  let llama: Llama;
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'llama-cpp-spec-'));
    // llama.cpp's own complaints about the broken files are expected: keep them out of the output.
    llama = await loadLlama({ onLog: () => undefined });
  }, 60_000);

  // Disposing llama.cpp can outlast jest's 5 s hook default on a loaded machine.
  afterAll(async () => {
    await llama?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 30_000);

  async function loadError(path: string): Promise<ModelLoadError> {
    const err: unknown = await loadGgufModel(llama, path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).message).toContain(path);
    expect((err as ModelLoadError).path).toBe(path);
    return err as ModelLoadError;
  }

  it('missing file', async () => {
    const err = await loadError(join(tmp, 'nope.gguf'));
    expect(err.reason).toBe('missing');
    expect(err.message).toMatch(/does not exist/);
  });

  it('directory', async () => {
    expect((await loadError(tmp)).reason).toBe('not-a-file');
  });

  it('corrupt file without GGUF magic', async () => {
    const path = join(tmp, 'garbage.gguf');
    await writeFile(path, Buffer.from('this is not a model, just some text pretending to be one'));
    expect((await loadError(path)).reason).toBe('not-gguf');
    const empty = join(tmp, 'empty.gguf');
    await writeFile(empty, '');
    expect((await loadError(empty)).reason).toBe('not-gguf');
  });

  it('truncated GGUF (valid header) is refused by llama.cpp without crashing', async () => {
    const path = join(tmp, 'truncated.gguf');
    await copyFile(join(dir, 'slm.gguf'), path);
    const file = await open(path, 'r+');
    await file.truncate(Math.floor((await file.stat()).size / 2));
    await file.close();
    expect((await loadError(path)).reason).toBe('rejected-by-llama-cpp');
  });

  it('the binding still loads a valid model afterwards', async () => {
    const model = await loadGgufModel(llama, join(dir, 'slm.gguf'));
    expect(model.tokenize('ok', false)).toEqual([111, 107]);
    await model.dispose();
  });
});
