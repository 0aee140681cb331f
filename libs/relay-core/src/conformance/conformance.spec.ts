import type { RelayPairProfile } from '../protocol/model-profile';
import { REFERENCE_PAIR_PROFILE } from '../protocol/reference-pair';
import { BYTE_LEVEL_TOKEN_IDS, CALL_CLOSE_TEXT, CALL_OPEN_TEXT } from '../protocol/vocabulary';
import type { RelayStreamEvent } from '../relay/relay-events';
import { runRelay } from '../relay/run-relay';
import { ManualClock } from '../testing/manual-clock';
import { plainTextTokenIds } from '../testing/reference-tokenizer';
import { ScriptedEngine, type ScriptedEngineOptions } from '../testing/scripted-engine';
import { CONFORMANCE_TABLE, conformanceRequest, type ConformanceCase } from './conformance.table';

/**
 * Every row runs against six engine shapes: token ids one per chunk and
 * three per chunk (tokenTexts), text one token per chunk, text cut every
 * 3 characters (markers split across chunks), and token ids read in text
 * syntax (one and three per chunk). Counts are exact in all but the
 * character cuts. With character cuts a text chunk can run past a command and, as text
 * cannot be split by tokens, is counted whole: slmTokens may then exceed the
 * token-mode count by the tokens of at most one chunk (documented bound).
 */
const CHARS_PER_CHUNK = 3;

/**
 * The reference pair with the SLM declared in text syntax: its `<call>` id is
 * read as the text "<call>" by the text parser (the path of a BPE model such
 * as Qwen3 served by llama.cpp). Each marker is one whole token, so every
 * count is exactly the token mode's, and the views keep their ids.
 */
const TEXT_SYNTAX_PAIR: RelayPairProfile = { ...REFERENCE_PAIR_PROFILE, slm: { ...REFERENCE_PAIR_PROFILE.slm, commandSyntax: { kind: 'text' } } };

const VARIANTS: ReadonlyArray<[string, ScriptedEngineOptions, RelayPairProfile]> = [
  ['token mode, 1 token/chunk', { mode: 'token' }, REFERENCE_PAIR_PROFILE],
  ['token mode, 3 tokens/chunk', { mode: 'token', tokensPerChunk: 3 }, REFERENCE_PAIR_PROFILE],
  ['text mode, 1 token/chunk', { mode: 'text' }, REFERENCE_PAIR_PROFILE],
  [`text mode, ${CHARS_PER_CHUNK} chars/chunk`, { mode: 'text', charsPerChunk: CHARS_PER_CHUNK }, REFERENCE_PAIR_PROFILE],
  ['text syntax over token ids, 1 token/chunk', { mode: 'token' }, TEXT_SYNTAX_PAIR],
  ['text syntax over token ids, 3 tokens/chunk', { mode: 'token', tokensPerChunk: 3 }, TEXT_SYNTAX_PAIR],
];

const CONTROL_IDS: readonly number[] = [BYTE_LEVEL_TOKEN_IDS.CALL, BYTE_LEVEL_TOKEN_IDS.END_CALL];

async function run(row: ConformanceCase, options: ScriptedEngineOptions, pair: RelayPairProfile) {
  const slm = new ScriptedEngine(row.slm, options);
  const llm = new ScriptedEngine(row.llm, options);
  const events: RelayStreamEvent[] = [];
  const request = {
    ...conformanceRequest(row),
    // Token engines get the prompt as plain bytes: `<call>` typed by a user is never a control token.
    ...(options.mode === 'token' ? { promptTokens: plainTextTokenIds(row.prompt) } : {}),
  };
  for await (const event of runRelay({ slm, llm, clock: new ManualClock(), pair }, request, new AbortController().signal)) {
    events.push(event);
  }
  return { slm, llm, events };
}

describe.each(VARIANTS)('relay conformance (%s)', (_variant, options, pair) => {
  it.each(CONFORMANCE_TABLE.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const { slm, llm, events } = await run(row, options, pair);
    const completed = events[events.length - 1];
    if (completed.type !== 'completed') throw new Error('last event must be completed');
    const { expected } = row;

    expect(completed.text).toBe(expected.text);
    expect(completed.finishReason).toBe(expected.finishReason);
    const { usage } = completed;
    // slmTokens: exact (bound 0) except with character cuts, where the documented bound applies.
    const slmOverrun = usage.slmTokens - expected.slmTokens;
    const maxOverrun = options.charsPerChunk === undefined ? 0 : (CHARS_PER_CHUNK - 1) * expected.calls;
    expect(slmOverrun).toBeGreaterThanOrEqual(0);
    expect(slmOverrun).toBeLessThanOrEqual(maxOverrun);
    expect({
      llmTokens: usage.llmTokens,
      calls: usage.calls,
      malformedCommands: usage.malformedCommands,
      noCallCommands: usage.noCallCommands,
    }).toEqual({
      llmTokens: expected.llmTokens,
      calls: expected.calls,
      malformedCommands: expected.malformedCommands,
      noCallCommands: expected.noCallCommands,
    });
    const total = expected.slmTokens + slmOverrun + expected.llmTokens;
    expect(usage.responseTokens).toBe(total);
    expect(usage.llmTokenRatio).toBeCloseTo(total === 0 ? 0 : expected.llmTokens / total, 12);
    expect(usage.callRecords.map((c) => [c.requestedN, c.grantedN, c.tokensWritten])).toEqual(expected.grants ?? []);

    // The streamed text is the answer, and LLM requests match the calls made.
    const streamed = events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
    expect(streamed).toBe(expected.text);
    const relayCalls = row.policy === 'LLM_ONLY' ? 1 : expected.calls;
    expect(llm.requests).toHaveLength(relayCalls);
    expect(events.filter((e) => e.type === 'relayStarted')).toHaveLength(expected.calls);
    expect(events.filter((e) => e.type === 'relayFinished')).toHaveLength(expected.calls);

    // The LLM never sees a command: its context is the prompt (user text, kept
    // verbatim even if it looks like a command) + the command-free answer so far.
    for (const request of llm.requests) {
      expect(request.context.text.startsWith(row.prompt)).toBe(true);
      const generated = request.context.text.slice(row.prompt.length);
      expect(generated).not.toContain(CALL_OPEN_TEXT);
      expect(generated).not.toContain(CALL_CLOSE_TEXT);
      expect(expected.text.startsWith(generated)).toBe(true);
      expect(request.context.tokens?.some((id) => CONTROL_IDS.includes(id)) ?? false).toBe(false);
      expect(request.bannedTokens).toEqual(CONTROL_IDS);
    }

    // The SLM keeps its own commands: every later SLM context extends the
    // previous one and holds the command that caused the call.
    slm.requests.forEach((request, i) => {
      if (i === 0) {
        expect(request.appendOnly).toBe(false);
        expect(request.context.text).toBe(row.prompt);
        return;
      }
      const previous = slm.requests[i - 1];
      expect(request.appendOnly).toBe(true);
      expect(request.appendFrom?.text).toBe(previous.context.text.length);
      expect(request.context.text.startsWith(previous.context.text)).toBe(true);
      const added = request.context.text.slice(previous.context.text.length);
      expect(added).toMatch(/<call>\d+<\/call>/);
      if (options.mode === 'token') expect(request.context.tokens).toContain(BYTE_LEVEL_TOKEN_IDS.CALL);
    });
  });
});
