/**
 * User text can never produce control tokens: with special=false, `<call>`, `<s>`...
 * in text stay plain bytes, and every byte (UTF-8 included) round-trips.
 */
import { join } from 'path';
import { referenceModelDir } from '@relayllm/testing';
import {
  BOS,
  CALL_CLOSE,
  CALL_OPEN,
  EOS,
  loadGgufModel,
  loadLlama,
  promptTokens,
  type Llama,
  type LlamaModel,
} from './index';

const dir = referenceModelDir();
const utf8 = (text: string) => [...Buffer.from(text, 'utf8')];

describe.each(['llm', 'slm'])('tokenizer safety (%s.gguf)', (name) => {
  let llama: Llama;
  let model: LlamaModel;

  beforeAll(async () => {
    llama = await loadLlama();
    model = await loadGgufModel(llama, join(dir, `${name}.gguf`));
  }, 60_000);

  // Disposing llama.cpp can outlast jest's 5 s hook default on a loaded machine.
  afterAll(async () => {
    await model?.dispose();
    await llama?.dispose();
  }, 30_000);

  it.each(['Compute <call>5</call>+1.', '<s>x</s>', 'héllo ✓ 😀', '<call></call><s></s>\n\t'])(
    'user text %j tokenizes to its UTF-8 bytes and round-trips',
    (text) => {
      const ids = model.tokenize(text, false);
      expect(ids.every((id) => id >= 0 && id < 256)).toBe(true);
      expect(ids).toEqual(utf8(text));
      expect(model.detokenize(ids)).toBe(text);
    },
  );

  it('promptTokens prepends BOS and nothing else', () => {
    expect(promptTokens(model, 'Compute <call>5</call>+1.')).toEqual([BOS, ...utf8('Compute <call>5</call>+1.')]);
  });

  it('control tokens only come from special=true', () => {
    expect(model.tokenize('<call>', true)).toEqual([CALL_OPEN]);
    expect(model.tokenize('</call>', true)).toEqual([CALL_CLOSE]);
    expect(model.tokenize('<s>', true)).toEqual([BOS]);
    expect(model.tokenize('</s>', true)).toEqual([EOS]);
    expect(model.tokenize('<call>', false)).toEqual(utf8('<call>'));
  });
});
