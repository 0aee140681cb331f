import { CommandSyntaxKind, WorkerModelDescription } from '@relayllm/proto';
import { RelayError, referenceModels, REFERENCE_VOCABULARY_ID, type ModelDescription } from '@relayllm/relay-core';
import { modelDescriptionFromWire, modelDescriptionHash, modelDescriptionToWire } from './model-description-wire';

const overTheWire = (wire: WorkerModelDescription): WorkerModelDescription => WorkerModelDescription.decode(WorkerModelDescription.encode(wire).finish());

/** A Qwen3-like model: text syntax, a chat template with its EOS string, no BOS. */
const templated: ModelDescription = {
  profile: { name: 'qwen3-slm.gguf', vocabularyId: 'gguf-tokens-sha256:abc', commandSyntax: { kind: 'text' }, endOfTurnIds: [151645, 151643], contextLength: 4096 },
  chat: { kind: 'template', source: { template: '{{ messages[0].content }}', eosToken: '<|im_end|>', origin: 'slm.gguf (tokenizer.chat_template)' } },
  tokenizer: { tokenize: () => [1], bosToPrepend: undefined },
};

function invalidReason(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof RelayError ? `${error.kind}/${error.reason}` : 'not a RelayError';
  }
}

describe('model descriptions on the wire', () => {
  it('a token-syntax description (the reference pair) keeps its ids, digit tokens and end-of-turn ids; its code format stays home', () => {
    const reference = referenceModels(512).slm;
    const wire = overTheWire(modelDescriptionToWire(reference));
    expect(wire).toMatchObject({ commandSyntax: CommandSyntaxKind.COMMAND_SYNTAX_KIND_TOKEN, callId: 258, endCallId: 259, endOfTurnIds: [257], contextLength: 512 });
    expect(wire.digitTokens.map((t) => t.tokenId)).toEqual([48, 49, 50, 51, 52, 53, 54, 55, 56, 57]);
    expect(wire.chatTemplate).toBeUndefined();
    const back = modelDescriptionFromWire(wire, 'slm-1');
    expect(back.profile.vocabularyId).toBe(REFERENCE_VOCABULARY_ID);
    expect(back.profile.contextLength).toBe(512);
    const syntax = back.profile.commandSyntax;
    if (syntax.kind !== 'token') throw new Error('token syntax expected');
    expect([syntax.callId, syntax.endCallId, syntax.digitsOf(55), syntax.digitsOf(65), syntax.digitsOf(258)]).toEqual([258, 259, '7', undefined, undefined]);
    expect([back.chat, back.tokenizer]).toEqual([undefined, undefined]);
  });

  it('a text-syntax description keeps its chat template (absent BOS stays absent) and loses its tokenizer', () => {
    const back = modelDescriptionFromWire(overTheWire(modelDescriptionToWire(templated)), 'slm-2');
    expect(back).toEqual({
      profile: { ...templated.profile, endOfTurnIds: [151643, 151645] },
      chat: { kind: 'template', source: { template: '{{ messages[0].content }}', eosToken: '<|im_end|>', origin: 'slm.gguf (tokenizer.chat_template)' } },
      tokenizer: undefined,
    });
    expect(overTheWire(modelDescriptionToWire(templated)).digitTokens).toEqual([]);
  });

  it('multi-digit tokens travel with their digits', () => {
    const digits = new Map([[5, '42'], [9, '0']]);
    const description: ModelDescription = {
      ...templated,
      profile: { ...templated.profile, commandSyntax: { kind: 'token', callId: 1, endCallId: 2, digitsOf: (id) => digits.get(id) } },
    };
    const syntax = modelDescriptionFromWire(overTheWire(modelDescriptionToWire(description)), 'w').profile.commandSyntax;
    if (syntax.kind !== 'token') throw new Error('token syntax expected');
    expect([syntax.digitsOf(5), syntax.digitsOf(9), syntax.digitsOf(6)]).toEqual(['42', '0', undefined]);
  });

  it('the hash is the same for the same description and differs when any field differs', () => {
    const hash = modelDescriptionHash(modelDescriptionToWire(templated));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(modelDescriptionHash(overTheWire(modelDescriptionToWire(templated)))).toBe(hash);
    const longer = { ...templated, profile: { ...templated.profile, contextLength: 8192 } };
    expect(modelDescriptionHash(modelDescriptionToWire(longer))).not.toBe(hash);
  });

  it('a description the relay cannot serve is MODEL_DESCRIPTION_INVALID', () => {
    const good = modelDescriptionToWire(templated);
    const token = { ...good, commandSyntax: CommandSyntaxKind.COMMAND_SYNTAX_KIND_TOKEN, callId: 3, endCallId: 4 };
    const bad: WorkerModelDescription[] = [
      { ...good, vocabularyId: '' },
      { ...good, contextLength: 0 },
      { ...good, commandSyntax: CommandSyntaxKind.COMMAND_SYNTAX_KIND_UNSPECIFIED },
      { ...token, endCallId: 3 },
      { ...token, digitTokens: [{ tokenId: 7, digits: 'x' }] },
      { ...good, chatTemplate: { template: ' ', origin: 'x' } },
    ];
    for (const wire of bad) expect(invalidReason(() => modelDescriptionFromWire(wire, 'w'))).toBe('invalid_argument/MODEL_DESCRIPTION_INVALID');
    expect(invalidReason(() => modelDescriptionFromWire(token, 'w'))).toBeUndefined();
  });
});
