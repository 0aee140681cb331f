import { successorTable } from './bigram';
import { FIXTURE_FAMILIES } from './families';
import { familyScript, referenceTokenIds, renderFixturePrompt } from './family-script';
import { EXPECTED_RELAY_ANSWER, EXPECTED_RELAY_ANSWERS, FIXTURE_SCRIPT_TEXT } from './script-text';
import { COMMAND_MARKERS, loadFamilyVocabulary, TokenType, tokenizerMetadata } from './vocabulary';

jest.setTimeout(30_000);

describe('rendered prompts', () => {
  it('Qwen3 (non-thinking) ends with an empty think block', () => {
    expect(renderFixturePrompt('qwen3')).toBe(
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    );
  });

  it('Llama 3.1 starts with BOS and ends with the assistant header', () => {
    expect(renderFixturePrompt('llama3')).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });
});

// Pinned ids: a change of the tokenizer packages or of the script text shows up here first.
describe.each([
  {
    family: 'qwen3' as const,
    slmUntilCall: [785, 4226, 374, 27, 6659, 29, 18, 522, 6659, 29],
    llmContinuation: [35398, 1378, 13],
    slmResume: [27357, 0, 151645],
    promptEnd: 271,
  },
  {
    family: 'llama3' as const,
    slmUntilCall: [791, 4320, 374, 27, 6797, 29, 18, 524, 6797, 29],
    llmContinuation: [36498, 1403, 13],
    slmResume: [28457, 0, 128009],
    promptEnd: 271,
  },
])('$family script', ({ family, slmUntilCall, llmContinuation, slmResume, promptEnd }) => {
  it('has the pinned token ids', async () => {
    const script = await familyScript(family);
    expect(script.slmUntilCall).toEqual(slmUntilCall);
    expect(script.llmContinuation).toEqual(llmContinuation);
    expect(script.slmResume).toEqual(slmResume);
    expect(script.promptTokens.at(-1)).toBe(promptEnd);
    expect(script.llmContinuesAfter).toBe(slmUntilCall[2]); // " is"
    expect(script.slmResumesAfter).toBe(llmContinuation[2]); // "."
  });

  it('writes the command as several ordinary tokens', async () => {
    const ids = await referenceTokenIds(family, FIXTURE_SCRIPT_TEXT.command);
    expect(ids.length).toBeGreaterThan(2);
    const vocabulary = loadFamilyVocabulary(family);
    for (const marker of COMMAND_MARKERS) expect(() => vocabulary.idOf(marker)).toThrow(/has no token/);
  });

  it('gives every token of each model one successor', async () => {
    const script = await familyScript(family);
    expect(() => successorTable(script.slmChains)).not.toThrow();
    expect(() => successorTable(script.llmChains)).not.toThrow();
    // The SLM continues after the LLM's last token; the LLM's chain runs through " is" to its own end of turn.
    expect(successorTable(script.slmChains).get(script.slmResumesAfter)).toBe(script.slmResume[0]);
    expect(successorTable(script.llmChains).get(script.llmContinuesAfter)).toBe(script.llmContinuation[0]);
  });
});

describe('vocabularies', () => {
  it.each([
    ['qwen3' as const, 151_669, 151_643, '<|im_end|>', 151_645],
    ['llama3' as const, 128_256, 128_000, '<|eot_id|>', 128_009],
  ])('%s: every id present, added tokens CONTROL', (family, size, firstAdded, endOfTurn, endOfTurnId) => {
    const vocabulary = loadFamilyVocabulary(family);
    expect(vocabulary.tokens).toHaveLength(size);
    expect(vocabulary.tokenTypes[firstAdded - 1]).toBe(TokenType.NORMAL);
    expect(Array.from(vocabulary.tokenTypes.subarray(firstAdded)).every((t) => t === TokenType.CONTROL)).toBe(true);
    expect(vocabulary.idOf(endOfTurn)).toBe(endOfTurnId);
    expect(vocabulary.merges[0]).toBe('Ġ Ġ');
    const keys = new Map(tokenizerMetadata(vocabulary));
    expect(keys.get('tokenizer.ggml.eos_token_id')).toEqual({ kind: 'u32', value: endOfTurnId });
    expect(keys.get('tokenizer.chat_template')).toEqual({ kind: 'string', value: vocabulary.chatTemplate });
  });
});

describe('expected answers', () => {
  it('are the same text for every pairing', () => {
    for (const slm of FIXTURE_FAMILIES) {
      for (const llm of FIXTURE_FAMILIES) expect(EXPECTED_RELAY_ANSWERS[slm][llm]).toBe('The answer is forty two. Done!');
    }
    expect(EXPECTED_RELAY_ANSWER).toBe('The answer is forty two. Done!');
  });
});
