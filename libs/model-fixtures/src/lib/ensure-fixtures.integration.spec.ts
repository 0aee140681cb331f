/**
 * ensureFormatFixtures writes a pair once, skips it while current, rebuilds it when its
 * manifest or a file no longer matches, and writes the GGUF layout llama.cpp expects.
 * (Writes ~20 MB into a temporary directory, hence the integration tier.)
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ensureFormatFixtures } from './ensure-fixtures';
import { parseGguf } from './gguf/gguf-reader';
import { GgmlType } from './gguf/gguf-types';

jest.setTimeout(120_000);

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'format-fixtures-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ensureQwen3 = () => ensureFormatFixtures({ dir, families: ['qwen3'] });

it('builds a missing pair, then leaves it alone while current', async () => {
  expect((await ensureQwen3()).built).toEqual(['qwen3']);
  const { built, paths } = await ensureQwen3();
  expect(built).toEqual([]);
  expect(paths.qwen3.slm).toBe(join(dir, 'qwen3', 'slm.gguf'));
  expect(paths.llama3.llm).toBe(join(dir, 'llama3', 'llm.gguf'));
});

it('rebuilds when the manifest names other inputs', async () => {
  const { paths } = await ensureQwen3();
  const manifest = JSON.parse(readFileSync(paths.qwen3.manifest, 'utf8')) as { inputsDigest: string };
  writeFileSync(paths.qwen3.manifest, JSON.stringify({ ...manifest, inputsDigest: 'stale' }));
  expect((await ensureQwen3()).built).toEqual(['qwen3']);
});

it('rebuilds when a model file was cut short', async () => {
  const { paths } = await ensureQwen3();
  truncateSync(paths.qwen3.llm, 1000);
  expect((await ensureQwen3()).built).toEqual(['qwen3']);
  expect((await ensureQwen3()).built).toEqual([]);
});

it('writes llama-architecture GGUF v3 with the vocabulary-sized matrices in F16', async () => {
  const { paths } = await ensureQwen3();
  const parsed = parseGguf(readFileSync(paths.qwen3.slm));
  const tokens = parsed.metadata.get('tokenizer.ggml.tokens') as readonly string[];
  expect(parsed.version).toBe(3);
  expect(parsed.metadata.get('general.architecture')).toBe('llama');
  expect(parsed.metadata.get('general.alignment')).toBe(32);
  expect(parsed.metadata.get('llama.vocab_size')).toBe(tokens.length);
  expect(tokens[151_645]).toBe('<|im_end|>');
  expect(parsed.metadata.get('tokenizer.ggml.pre')).toBe('qwen2');
  expect(parsed.metadata.get('tokenizer.ggml.eos_token_id')).toBe(151_645);
  expect(parsed.metadata.get('tokenizer.ggml.add_bos_token')).toBe(false);
  const dim = parsed.metadata.get('llama.embedding_length');
  for (const name of ['token_embd.weight', 'output.weight']) {
    expect(parsed.tensors.find((t) => t.name === name)).toMatchObject({ dims: [dim, tokens.length], type: GgmlType.F16 });
  }
  expect(parsed.tensors.every((t) => t.offset % 32 === 0)).toBe(true);
});
