import { WorkerKind } from '@relayllm/proto';
import { referenceModels, type ModelDescription, type ModelProfile } from '@relayllm/relay-core';
import { PoolDescriptionTable, poolDisagreement, type ModelPool } from './pool-descriptions';

const qwen: ModelProfile = { name: 'qwen3.gguf', vocabularyId: 'v-qwen', commandSyntax: { kind: 'text' }, endOfTurnIds: [151645, 151643], contextLength: 4096 };
const reference = referenceModels(512).slm.profile;
const asDescription = (profile: ModelProfile): ModelDescription => ({ profile, chat: undefined, tokenizer: undefined });
const SLM: ModelPool = { kind: WorkerKind.WORKER_KIND_SLM, model: 'slm' };
const LLM: ModelPool = { kind: WorkerKind.WORKER_KIND_LLM, model: 'slm' };

describe('the "pool agrees" rule', () => {
  it('agrees with the same vocabulary, syntax and end-of-turn ids (in any order), a larger window and another name or template', () => {
    expect(poolDisagreement(qwen, { ...qwen, name: 'other.gguf', endOfTurnIds: [151643, 151645], contextLength: 8192 })).toBeUndefined();
    expect(poolDisagreement(reference, { ...reference })).toBeUndefined();
  });

  it.each([
    ['another vocabulary', { ...qwen, vocabularyId: 'v-llama' }, /vocabulary v-llama/],
    ['another command syntax', { ...qwen, commandSyntax: reference.commandSyntax }, /commands as token, the pool as text/],
    ['other end-of-turn ids', { ...qwen, endOfTurnIds: [151645] }, /end-of-turn ids \[151645\]/],
    ['a smaller window', { ...qwen, contextLength: 2048 }, /2048 tokens is smaller than the pool's 4096/],
  ])('refuses %s', (_what, candidate, reason) => {
    expect(poolDisagreement(qwen, candidate)).toMatch(reason);
  });

  it('refuses other command ids in token syntax', () => {
    const syntax = { ...(reference.commandSyntax as Extract<ModelProfile['commandSyntax'], { kind: 'token' }>), callId: 5 };
    expect(poolDisagreement(reference, { ...reference, commandSyntax: syntax })).toMatch(/command ids 5\/259/);
  });
});

describe('PoolDescriptionTable', () => {
  it('the first description is the pool model; agreeing hashes are usable, disagreeing ones refused for good', () => {
    const table = new PoolDescriptionTable();
    expect(table.claimFetch(SLM, 'h1')).toBe(true);
    expect(table.claimFetch(SLM, 'h1')).toBe(false); // already being fetched
    expect(table.usable(SLM, 'h1')).toBe(false);
    expect(table.described(SLM, 'h1', asDescription(qwen))).toEqual({ kind: 'accepted' });
    expect(table.accepted(SLM)?.profile).toBe(qwen);
    expect(table.claimFetch(SLM, 'h2')).toBe(true);
    expect(table.described(SLM, 'h2', asDescription({ ...qwen, contextLength: 8192 }))).toEqual({ kind: 'agrees' });
    expect(table.claimFetch(SLM, 'h3')).toBe(true);
    expect(table.described(SLM, 'h3', asDescription({ ...qwen, vocabularyId: 'v-llama' }))).toMatchObject({ kind: 'refused' });
    expect([table.usable(SLM, 'h1'), table.usable(SLM, 'h2'), table.usable(SLM, 'h3')]).toEqual([true, true, false]);
    expect(table.refusal(SLM, 'h3')).toMatch(/vocabulary/);
    expect(table.claimFetch(SLM, 'h3')).toBe(false); // not fetched again
    expect(table.accepted(SLM)?.profile).toBe(qwen); // a refused one never replaces the pool's model
  });

  it('pools are separate: the same model name in the other role has its own model', () => {
    const table = new PoolDescriptionTable();
    table.claimFetch(SLM, 'h1');
    table.described(SLM, 'h1', asDescription(qwen));
    expect(table.accepted(LLM)).toBeUndefined();
    expect(table.usable(LLM, 'h1')).toBe(false);
  });

  it('a failed fetch is forgotten (fetched again later); no hash, or one beyond the bound, is never fetched', () => {
    const table = new PoolDescriptionTable(2);
    expect(table.claimFetch(SLM, '')).toBe(false);
    table.claimFetch(SLM, 'h1');
    table.fetchFailed(SLM, 'h1');
    expect(table.claimFetch(SLM, 'h1')).toBe(true);
    expect(table.claimFetch(SLM, 'h2')).toBe(true);
    expect(table.claimFetch(SLM, 'h3')).toBe(false);
  });

  it('a malformed description is refused with its reason', () => {
    const table = new PoolDescriptionTable();
    table.claimFetch(SLM, 'h1');
    expect(table.refuse(SLM, 'h1', 'no vocabulary_id')).toEqual({ kind: 'refused', reason: 'no vocabulary_id' });
    expect([table.usable(SLM, 'h1'), table.accepted(SLM)]).toEqual([false, undefined]);
  });
});
