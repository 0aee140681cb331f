import { BOS } from '@relayllm/llama-cpp';
import { referenceProfile, type ModelDescription } from '@relayllm/relay-core';
import { IN_TASK_PROMPT, referenceModelDir } from '@relayllm/testing';
import { join } from 'path';
import { bytes, collect, request } from '../../testing/engine-spec-helpers';
import { startReferenceLlamaPair, type ReferenceLlamaPair } from '../../testing/reference-llama-pair';
import { LlamaCppEngine } from './llama-cpp-engine';

/** describe() and text-only contexts, against the REAL reference GGUF pair. */
const dir = referenceModelDir();
const QUESTION = `${IN_TASK_PROMPT}\n`;

describe('LlamaCppEngine.describe() and text-only contexts (reference pair)', () => {
  let pair: ReferenceLlamaPair;
  let slm: LlamaCppEngine;
  let llm: LlamaCppEngine;

  beforeAll(async () => {
    pair = await startReferenceLlamaPair({ slm: 2, llm: 1 });
    ({ slm, llm } = pair);
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  it("reads the reference profile from the GGUF: the constants relay-core serves the reference pair with", async () => {
    const descriptions: ModelDescription[] = await Promise.all([slm.describe(), llm.describe()]);
    for (const [role, description] of [['slm', descriptions[0]], ['llm', descriptions[1]]] as const) {
      const expected = referenceProfile(role);
      const { profile } = description;
      expect(profile.name).toBe(`${role}.gguf`);
      expect(profile.vocabularyId).toBe(expected.vocabularyId);
      expect(profile.endOfTurnIds).toEqual(expected.endOfTurnIds);
      expect(profile.contextLength).toBe(expected.contextLength);
      expect(profile.commandSyntax).toMatchObject({ kind: 'token', callId: 258, endCallId: 259 });
      const digitsOf = (id: number): string | undefined => (profile.commandSyntax.kind === 'token' ? profile.commandSyntax.digitsOf(id) : undefined);
      const digits = Array.from({ length: 260 }, (_, id) => [id, digitsOf(id)]).filter(([, d]) => d !== undefined);
      expect(digits).toEqual(Array.from({ length: 10 }, (_, d) => [0x30 + d, String(d)]));
      expect(description.chat).toBeUndefined(); // no tokenizer.chat_template: the host gives REFERENCE_CHAT_FORMAT
      expect(description.tokenizer?.tokenize('<call>', false)).toEqual(bytes('<call>'));
      expect(description.tokenizer?.tokenize('<call>', true)).toEqual([258]);
      expect(description.tokenizer?.bosToPrepend).toBeUndefined(); // add_bos_token false: the format writes <s>
    }
    expect(await slm.describe()).toBe(descriptions[0]); // computed once
  });

  it('a text-only append-only turn reuses the cached common prefix and reports its prefill', async () => {
    const turn1 = await collect(
      slm.generate({ ...request('text/kv', [], { maxTokens: 6 }), context: { text: QUESTION } }, new AbortController().signal),
    );
    expect(turn1.chunks[0]?.prefill).toEqual({ reusedTokens: 0, evaluatedTokens: 1 + bytes(QUESTION).length });
    const generated = String.fromCharCode(...turn1.tokens.filter((id) => id < 128));
    expect(generated).toHaveLength(turn1.tokens.length); // ASCII: one byte = one character
    const text = `${QUESTION}${generated}42`;
    const before = slm.evaluatedTokens;
    const turn2 = await collect(
      slm.generate(
        { ...request('text/kv', [], { maxTokens: 1, appendOnly: true, appendFrom: { text: QUESTION.length } }), context: { text } },
        new AbortController().signal,
      ),
    );
    // The cache holds BOS + question + every generated id but the last (fed late).
    const reused = 1 + bytes(QUESTION).length + turn1.tokens.length - 1;
    expect(turn2.chunks[0]?.prefill).toEqual({ reusedTokens: reused, evaluatedTokens: 1 + 2 });
    expect(slm.evaluatedTokens - before).toBe(3);
    // The same context as ids gives the same next token.
    const fromIds = await collect(slm.generate(request('text/ids', [BOS, ...bytes(text)], { maxTokens: 1 }), new AbortController().signal));
    expect(turn2.tokens).toEqual(fromIds.tokens);
  });

  it('describe() before start() is a failed precondition', async () => {
    const engine = new LlamaCppEngine({ modelPath: join(dir, 'slm.gguf'), llama: pair.llama });
    await expect(engine.describe()).rejects.toMatchObject({ kind: 'failed_precondition', reason: 'ENGINE_NOT_STARTED' });
  });
});
