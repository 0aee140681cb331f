/**
 * What specs, benches and the demo need of the reference pair's prompts (libs/testing's
 * reference-prompts.ts, libs/http-api's reference-examples.ts), as checks over the pair's
 * `npm run eval:reference` runs: the relay at call_bias 0, the student with calls blocked, the
 * teacher alone (greedy, 256 tokens, the reference chat format). A pair swap re-picks every prompt
 * whose check fails (`npm run prompts:reference`). The checks read only what a run records (tokens,
 * calls, finish, correctness); a pick still gets `relayllm generate` at its role's policy, which is
 * what the doc comments in reference-prompts.ts ask. Pure: no file is read here.
 */
import type { ItemResult } from '@relayllm/eval';

/** One question as the three runs answered it (a run that lacks it leaves its field undefined). */
export interface QuestionRuns {
  question: string;
  gold: string;
  /** Its place in the test split (0: the first question). */
  index: number;
  relay?: ItemResult;
  alone?: ItemResult;
  teacher?: ItemResult;
}

/** One thing a role needs, said as the doc comment says it, and how a question is checked for it. */
export interface Requirement {
  says: string;
  holds: (q: QuestionRuns) => boolean;
}

/** A role one prompt plays: `rank` orders its candidates, best first (lower is better). */
export interface PromptRole {
  name: string;
  needs: readonly Requirement[];
  rank: (q: QuestionRuns) => number;
}

const ended = (r: ItemResult | undefined): r is ItemResult => r !== undefined && r.finish_reason === 'eos';
const tokens = (r: ItemResult | undefined): number => r?.usage.response_tokens ?? 0;
const callStarts = (r: ItemResult | undefined): number[] => (r?.calls ?? []).map((c) => c.response_token_start);
/** The teacher wrote the last token: an EOS inside a call ended the answer. */
const teacherEnded = (r: ItemResult): boolean => r.calls.some((c) => c.response_token_end >= r.usage.response_tokens);

const need = (says: string, holds: (q: QuestionRuns) => boolean): Requirement => ({ says, holds });

const RELAY_RIGHT = need('relaying, right and ended by EOS', (q) => ended(q.relay) && q.relay.correct);
const ALONE_WRONG = need('alone (calls blocked), wrong', (q) => q.alone !== undefined && !q.alone.correct);
const CALLS_AT_LEAST = (n: number) => need(`relaying, at least ${n} call(s)`, (q) => (q.relay?.calls.length ?? 0) >= n);

export const DEMO: PromptRole = {
  name: 'REFERENCE_DEMO_PROMPT (and DEMO_ANSWER, its gold)',
  needs: [
    RELAY_RIGHT,
    ALONE_WRONG,
    CALLS_AT_LEAST(1),
    need('relaying, 50 to 200 tokens', (q) => tokens(q.relay) >= 50 && tokens(q.relay) <= 200),
  ],
  rank: (q) => Math.abs(tokens(q.relay) - 100),
};

export const TWO_CALL: PromptRole = {
  name: 'TWO_CALL_PROMPT',
  needs: [need('relaying, a second call before token 128', (q) => (callStarts(q.relay)[1] ?? Infinity) < 128)],
  rank: (q) => callStarts(q.relay)[1] ?? Infinity,
};

export const RESUME: PromptRole = {
  name: 'RESUME_PROMPT',
  needs: [
    need('relaying, ended by EOS', (q) => ended(q.relay)),
    need('relaying, the first call by token 30', (q) => (callStarts(q.relay)[0] ?? Infinity) <= 30),
    need('relaying, 150 tokens or more', (q) => tokens(q.relay) >= 150),
  ],
  rank: (q) => -tokens(q.relay),
};

export const IN_TASK: PromptRole = {
  name: 'IN_TASK_PROMPT',
  needs: [
    need('relaying, ended by EOS, 40 to 256 tokens', (q) => ended(q.relay) && tokens(q.relay) >= 40),
    need('relaying, a call before token 96', (q) => (callStarts(q.relay)[0] ?? Infinity) < 96),
    need('the teacher alone, ended by EOS, 40 tokens or more', (q) => ended(q.teacher) && tokens(q.teacher) >= 40),
    need('alone, 16 tokens or more', (q) => tokens(q.alone) >= 16),
    need('alone, its first 6 characters ASCII', (q) => /^[\x20-\x7e\n]{6}/.test(q.alone?.text ?? '')),
  ],
  rank: (q) => callStarts(q.relay)[0] ?? Infinity,
};

export const SHORT: PromptRole = {
  name: 'SHORT_PROMPT',
  needs: [
    need('alone, 4 tokens or more', (q) => tokens(q.alone) >= 4),
    need('the teacher alone, 8 tokens or more', (q) => tokens(q.teacher) >= 8),
  ],
  rank: (q) => q.index,
};

export const LONG_PACED: PromptRole = {
  name: 'LONG_PACED_PROMPT',
  needs: [
    need('relaying, ended by EOS, 100 tokens or more', (q) => ended(q.relay) && tokens(q.relay) >= 100),
    CALLS_AT_LEAST(1),
  ],
  rank: (q) => -tokens(q.relay),
};

/** The playground's examples after the demo: each a call doing its job. */
export const PLAYGROUND_EXAMPLE: PromptRole = {
  name: 'REFERENCE_PLAYGROUND_EXAMPLES[1..]',
  needs: [RELAY_RIGHT, ALONE_WRONG, CALLS_AT_LEAST(1), need('relaying, at most 2 calls', (q) => (q.relay?.calls.length ?? 9) <= 2)],
  rank: (q) => tokens(q.relay),
};

/** Relayed within 200 tokens, ended by EOS: REMOTE_SLM_QUESTIONS[0] calls, the others need not. */
export const REMOTE_SLM_CALLER: PromptRole = {
  name: 'REMOTE_SLM_QUESTIONS[0]',
  needs: [need('relaying, ended by EOS within 200 tokens', (q) => ended(q.relay) && tokens(q.relay) <= 200), CALLS_AT_LEAST(1)],
  rank: (q) => tokens(q.relay),
};

/** SLM_WORKER_QUESTIONS[3..7]: a call, then the student goes on to its own end (not the teacher's EOS). */
export const SLM_WORKER_CALLER: PromptRole = {
  name: 'SLM_WORKER_QUESTIONS[3..7]',
  needs: [
    CALLS_AT_LEAST(1),
    need('relaying, ended by the student\'s EOS after its calls', (q) => ended(q.relay) && !teacherEnded(q.relay)),
  ],
  rank: (q) => -tokens(q.relay),
};

/** METRICS_FILLER_PROMPTS: each relayed to an end within 64 tokens. */
export const METRICS_FILLER: PromptRole = {
  name: 'METRICS_FILLER_PROMPTS[*]',
  needs: [need('relaying, ended by EOS within 64 tokens', (q) => ended(q.relay) && tokens(q.relay) <= 64)],
  rank: (q) => tokens(q.relay),
};

/** Each single-prompt role (and each role of a list's items) in the order the report prints them. */
export const ROLES: readonly PromptRole[] = [
  DEMO, TWO_CALL, RESUME, IN_TASK, SHORT, LONG_PACED, PLAYGROUND_EXAMPLE, REMOTE_SLM_CALLER, SLM_WORKER_CALLER, METRICS_FILLER,
];

/** What `q` lacks of `role` (empty: it plays the role). A question no run answered lacks everything. */
export function unmet(role: PromptRole, q: QuestionRuns): string[] {
  return role.needs.filter((r) => !r.holds(q)).map((r) => r.says);
}

/** The questions that play `role`, best first, at most `limit`. */
export function candidates(role: PromptRole, questions: readonly QuestionRuns[], limit: number): QuestionRuns[] {
  return questions
    .filter((q) => unmet(role, q).length === 0)
    .sort((a, b) => role.rank(a) - role.rank(b) || a.index - b.index)
    .slice(0, limit);
}

/**
 * DISTINCT_FIRST_PROMPTS: the teacher's answers start with more than 4 distinct characters (a
 * batch row given another sequence's logits shows in the first token). The reason when they do not.
 */
export function distinctFirstShortfall(questions: readonly QuestionRuns[]): string | undefined {
  const firsts = new Set(questions.map((q) => q.teacher?.text.charAt(0) ?? ''));
  firsts.delete('');
  return firsts.size > 4 ? undefined : `the teacher's answers start with ${firsts.size} distinct characters, not more than 4`;
}

/** The three runs' results joined by question, in test-split order. */
export function joinRuns(relay: readonly ItemResult[], alone: readonly ItemResult[], teacher: readonly ItemResult[]): QuestionRuns[] {
  const byQuestion = new Map<string, QuestionRuns>();
  const place = (r: ItemResult, field: 'relay' | 'alone' | 'teacher') => {
    const q = byQuestion.get(r.question) ?? { question: r.question, gold: r.gold, index: r.index };
    q[field] = r;
    byQuestion.set(r.question, q);
  };
  relay.forEach((r) => place(r, 'relay'));
  alone.forEach((r) => place(r, 'alone'));
  teacher.forEach((r) => place(r, 'teacher'));
  return [...byQuestion.values()].sort((a, b) => a.index - b.index);
}
