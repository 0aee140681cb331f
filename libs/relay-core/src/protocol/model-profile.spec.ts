import { loadLlama31Tokenizer, loadQwen3Tokenizer } from '../testing/real-tokenizers';
import { commandTokenIds, detectCommandSyntax, pairProfile } from './model-profile';
import { REFERENCE_COMMAND_SYNTAX, REFERENCE_PAIR_PROFILE, referenceModels, referenceProfile } from './reference-pair';

const noDigits = (): undefined => undefined;

describe('detectCommandSyntax', () => {
  it('token syntax when <call> and </call> are one distinct token each', () => {
    const syntax = detectCommandSyntax({ callIds: [258], endCallIds: [259], digitsOf: REFERENCE_COMMAND_SYNTAX.digitsOf });
    expect(syntax).toMatchObject({ kind: 'token', callId: 258, endCallId: 259 });
    expect(syntax.kind === 'token' && syntax.digitsOf(0x37)).toBe('7');
  });

  it('text syntax when a marker is several tokens, or both are the same id', () => {
    expect(detectCommandSyntax({ callIds: [27, 6659, 29], endCallIds: [522, 6659, 29], digitsOf: noDigits })).toEqual({ kind: 'text' });
    expect(detectCommandSyntax({ callIds: [5], endCallIds: [5], digitsOf: noDigits })).toEqual({ kind: 'text' });
    expect(detectCommandSyntax({ callIds: [5], endCallIds: [], digitsOf: noDigits })).toEqual({ kind: 'text' });
  });

  it('the real Qwen3 and Llama 3.1 tokenizers write commands as text', async () => {
    for (const model of await Promise.all([loadQwen3Tokenizer(), loadLlama31Tokenizer()])) {
      const { tokenize } = model.tokenizer;
      expect(detectCommandSyntax({ callIds: tokenize('<call>', true), endCallIds: tokenize('</call>', true), digitsOf: noDigits })).toEqual({ kind: 'text' });
    }
  });
});

describe('model pair profiles', () => {
  it('ids travel only between models of the same vocabulary', () => {
    const slm = referenceProfile('slm');
    expect(pairProfile(slm, referenceProfile('llm')).idsTravel).toBe(true);
    expect(pairProfile(slm, { ...slm, vocabularyId: 'other' }).idsTravel).toBe(false);
  });

  it('command ids: the control tokens in token syntax, none in text syntax', () => {
    expect(commandTokenIds(REFERENCE_COMMAND_SYNTAX)).toEqual([258, 259]);
    expect(commandTokenIds({ kind: 'text' })).toEqual([]);
  });

  it('the reference pair: byte-level control ids, EOS 257 ends a turn, 512-token context, its own chat format', () => {
    expect(REFERENCE_PAIR_PROFILE.slm).toMatchObject({ commandSyntax: { kind: 'token', callId: 258, endCallId: 259 }, endOfTurnIds: [257], contextLength: 512 });
    expect(REFERENCE_PAIR_PROFILE.idsTravel).toBe(true);
    const digits = Array.from({ length: 260 }, (_, id) => REFERENCE_COMMAND_SYNTAX.digitsOf(id)).filter((d) => d !== undefined);
    expect(digits).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const models = referenceModels(64);
    expect(models.slm.profile.contextLength).toBe(64);
    expect(models.slm.chat).toMatchObject({ kind: 'format' });
  });
});
