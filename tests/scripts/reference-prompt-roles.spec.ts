import type { CallResult, ItemResult } from '@relayllm/eval';
import {
  DEMO, IN_TASK, SLM_WORKER_CALLER, TWO_CALL, candidates, distinctFirstShortfall, joinRuns, unmet, type QuestionRuns,
} from '../../scripts/reference-prompt-roles';

/** What the reference pair's prompts need, checked over eval runs (scripts/reference-prompt-roles.ts). */

function call(start: number, n = 2): CallResult {
  return { requested_n: n, granted_n: n, tokens_written: n, response_token_start: start, response_token_end: start + n };
}

function item(question: string, index: number, over: { tokens: number; correct?: boolean; finish?: string; calls?: CallResult[]; text?: string }): ItemResult {
  const calls = over.calls ?? [];
  return {
    index, question, answer: '1', gold: '1', text: over.text ?? 'x'.repeat(over.tokens), predicted: '1', correct: over.correct ?? true,
    finish_reason: over.finish ?? 'eos',
    usage: {
      slm_tokens: over.tokens, llm_tokens: 0, response_tokens: over.tokens, calls: calls.length, llm_token_ratio: 0,
      malformed_commands: 0, no_call_commands: 0,
    },
    calls, latency_ms: 1, llm_prefill_tokens: 0, routed: 'RELAY',
  };
}

function runs(question: string, index: number, relay: Parameters<typeof item>[2], alone?: Parameters<typeof item>[2]): QuestionRuns {
  return {
    question, gold: '1', index, relay: item(question, index, relay),
    alone: alone === undefined ? undefined : item(question, index, alone),
    teacher: item(question, index, { tokens: 60 }),
  };
}

describe('reference prompt roles', () => {
  it('a demo relays right with a call and fails alone; each lack is named', () => {
    const good = runs('Q', 0, { tokens: 100, calls: [call(20)] }, { tokens: 90, correct: false });
    expect(unmet(DEMO, good)).toEqual([]);
    const rightAlone = runs('Q', 0, { tokens: 100, calls: [call(20)] }, { tokens: 90, correct: true });
    expect(unmet(DEMO, rightAlone)).toEqual(['alone (calls blocked), wrong']);
    const cut = runs('Q', 0, { tokens: 256, finish: 'length', calls: [] }, { tokens: 90, correct: false });
    expect(unmet(DEMO, cut)).toEqual(['relaying, right and ended by EOS', 'relaying, at least 1 call(s)', 'relaying, 50 to 200 tokens']);
  });

  it('a question a run lacks plays no role that reads that run', () => {
    const noAlone = runs('Q', 0, { tokens: 100, calls: [call(20)] });
    expect(unmet(DEMO, noAlone)).toEqual(['alone (calls blocked), wrong']);
  });

  it('two calls count only when the second starts before token 128', () => {
    expect(unmet(TWO_CALL, runs('Q', 0, { tokens: 200, calls: [call(10), call(127)] }))).toEqual([]);
    expect(unmet(TWO_CALL, runs('Q', 0, { tokens: 200, calls: [call(10), call(128)] }))).toHaveLength(1);
    expect(unmet(TWO_CALL, runs('Q', 0, { tokens: 200, calls: [call(10)] }))).toHaveLength(1);
  });

  it('an answer the teacher ended is no slm-worker caller', () => {
    expect(unmet(SLM_WORKER_CALLER, runs('Q', 0, { tokens: 80, calls: [call(30)] }))).toEqual([]);
    expect(unmet(SLM_WORKER_CALLER, runs('Q', 0, { tokens: 32, calls: [call(30)] }))).toEqual([
      "relaying, ended by the student's EOS after its calls",
    ]);
  });

  it('the in-task prompt needs the student alone to start with 6 ASCII characters', () => {
    const ascii = runs('Q', 0, { tokens: 100, calls: [call(20)] }, { tokens: 16, text: '55+f(959)' });
    expect(unmet(IN_TASK, ascii)).toEqual([]);
    const bytes = runs('Q', 0, { tokens: 100, calls: [call(20)] }, { tokens: 16, text: '55\u00e9f(959)' });
    expect(unmet(IN_TASK, bytes)).toEqual(['alone, its first 6 characters ASCII']);
  });

  it('candidates are the questions that play the role, best rank first, then split order, at most the limit', () => {
    const qs = [
      runs('late', 0, { tokens: 200, calls: [call(5), call(90)] }),
      runs('none', 1, { tokens: 200, calls: [call(5)] }),
      runs('early', 2, { tokens: 200, calls: [call(5), call(40)] }),
      runs('early-too', 3, { tokens: 200, calls: [call(5), call(40)] }),
    ];
    expect(candidates(TWO_CALL, qs, 3).map((q) => q.question)).toEqual(['early', 'early-too', 'late']);
    expect(candidates(TWO_CALL, qs, 1).map((q) => q.question)).toEqual(['early']);
  });

  it('the runs join by question in split order', () => {
    const joined = joinRuns([item('b', 1, { tokens: 5 }), item('a', 0, { tokens: 6 })], [item('a', 0, { tokens: 7 })], []);
    expect(joined.map((q) => [q.question, q.relay?.usage.response_tokens, q.alone?.usage.response_tokens, q.teacher])).toEqual([
      ['a', 6, 7, undefined],
      ['b', 5, undefined, undefined],
    ]);
  });

  it('distinct first characters: more than 4 of the teacher\'s answers must start differently', () => {
    const starting = (chars: string) => [...chars].map((c, i): QuestionRuns => ({ question: c, gold: '', index: i, teacher: item(c, i, { tokens: 3, text: `${c}12` }) }));
    expect(distinctFirstShortfall(starting('f1856'))).toBeUndefined();
    expect(distinctFirstShortfall(starting('f1851'))).toBe("the teacher's answers start with 4 distinct characters, not more than 4");
  });
});
