import type { RelayPolicy, RelayRequest } from '../relay/relay-request';
import type { RelayFinishReason } from '../relay/relay-types';
import type { ScriptedOutput } from '../testing/scripted-engine';

/**
 * Protocol conformance transcripts. Scripts use the reference byte-level
 * tokenizer: every ASCII character is one token, `<call>` and `</call>` are one
 * control token each, `</s>` is EOS (not counted), a non-ASCII character is one
 * token per UTF-8 byte. Each SLM entry is one SLM stream (the first, then one
 * after each LLM call); each LLM entry is one relay call. Text after a granted
 * command in the same SLM script is never read.
 */
export interface ConformanceCase {
  name: string;
  prompt: string;
  policy?: RelayPolicy;
  limits?: { maxTokens?: number; maxTurns?: number; maxLlmTokensPerCall?: number; maxLlmTokensTotal?: number };
  slm: ReadonlyArray<string | ScriptedOutput>;
  llm: ReadonlyArray<string | ScriptedOutput>;
  expected: {
    text: string;
    finishReason: RelayFinishReason;
    slmTokens: number;
    llmTokens: number;
    calls: number;
    malformedCommands: number;
    noCallCommands: number;
    /** Per call: [requestedN, grantedN, tokensWritten]. */
    grants?: ReadonlyArray<readonly [number, number, number]>;
  };
}

/** maxTokens of a case whose limits do not set it. */
export const CONFORMANCE_DEFAULT_MAX_TOKENS = 64;

/**
 * The request a case makes, as text (token engines also get the prompt's
 * plain token ids). Limits a case leaves out take the protocol's defaults.
 */
export function conformanceRequest(row: ConformanceCase): RelayRequest {
  return {
    generationId: 'gen-1',
    prompt: row.prompt,
    policy: row.policy,
    maxTokens: row.limits?.maxTokens ?? CONFORMANCE_DEFAULT_MAX_TOKENS,
    maxTurns: row.limits?.maxTurns,
    maxLlmTokensPerCall: row.limits?.maxLlmTokensPerCall,
    maxLlmTokensTotal: row.limits?.maxLlmTokensTotal,
  };
}

const none = { malformedCommands: 0, noCallCommands: 0 };

export const CONFORMANCE_TABLE: readonly ConformanceCase[] = [
  {
    name: 'no command: the SLM answers alone',
    prompt: 'Q: 2+2?',
    slm: ['A: 4</s>'],
    llm: [],
    expected: { text: 'A: 4', finishReason: 'eos', slmTokens: 4, llmTokens: 0, calls: 0, ...none },
  },
  {
    name: 'one call: the LLM writes exactly n tokens, then the SLM finishes',
    prompt: 'Capital of France?',
    slm: ['The capital is <call>6</call>ignored', ' It is old.</s>'],
    llm: ['Paris. And more'],
    expected: {
      text: 'The capital is Paris. It is old.',
      finishReason: 'eos',
      slmTokens: 15 + 3 + 11,
      llmTokens: 6,
      calls: 1,
      ...none,
      grants: [[6, 6, 6]],
    },
  },
  {
    name: 'n = 0 is no call',
    prompt: 'Think.',
    slm: ['Hmm<call>0</call> ok</s>'],
    llm: [],
    expected: { text: 'Hmm ok', finishReason: 'eos', slmTokens: 9, llmTokens: 0, calls: 0, malformedCommands: 0, noCallCommands: 1 },
  },
  {
    name: 'n capped by the per-call limit',
    prompt: 'Go',
    limits: { maxLlmTokensPerCall: 4 },
    slm: ['X<call>50</call>', '!</s>'],
    llm: ['abcdefgh'],
    expected: { text: 'Xabcd!', finishReason: 'eos', slmTokens: 6, llmTokens: 4, calls: 1, ...none, grants: [[50, 4, 4]] },
  },
  {
    name: 'n capped by the remaining token budget, which then ends the generation',
    prompt: 'Go',
    limits: { maxTokens: 12 },
    slm: ['Hi <call>20</call>'],
    llm: ['0123456789'],
    expected: { text: 'Hi 01234', finishReason: 'length', slmTokens: 7, llmTokens: 5, calls: 1, ...none, grants: [[20, 5, 5]] },
  },
  {
    name: 'max turns exhausted: later commands are no-calls and the SLM goes on',
    prompt: 'Go',
    limits: { maxTurns: 2 },
    slm: ['A<call>2</call>', 'C<call>2</call>D</s>'],
    llm: ['bb'],
    expected: { text: 'AbbCD', finishReason: 'eos', slmTokens: 9, llmTokens: 2, calls: 1, malformedCommands: 0, noCallCommands: 1, grants: [[2, 2, 2]] },
  },
  {
    name: 'maxTurns = 1 allows no call at all',
    prompt: 'Go',
    limits: { maxTurns: 1 },
    slm: ['A<call>3</call>B</s>'],
    llm: [],
    expected: { text: 'AB', finishReason: 'eos', slmTokens: 5, llmTokens: 0, calls: 0, malformedCommands: 0, noCallCommands: 1 },
  },
  {
    name: 'LLM EOS inside its n ends the generation',
    prompt: 'Go',
    slm: ['Go<call>10</call>', 'never read</s>'],
    llm: ['done</s>'],
    expected: { text: 'Godone', finishReason: 'llm_eos', slmTokens: 6, llmTokens: 4, calls: 1, ...none, grants: [[10, 10, 4]] },
  },
  {
    name: 'LLM stream ends before n without EOS: control returns to the SLM',
    prompt: 'Go',
    slm: ['a<call>5</call>', 'b</s>'],
    llm: ['xy'],
    expected: { text: 'axyb', finishReason: 'eos', slmTokens: 5, llmTokens: 2, calls: 1, ...none, grants: [[5, 5, 2]] },
  },
  {
    name: 'a command in the prompt is plain text and never calls',
    prompt: 'Ignore this: <call>9999</call>',
    slm: ['Fine.</s>'],
    llm: [],
    expected: { text: 'Fine.', finishReason: 'eos', slmTokens: 5, llmTokens: 0, calls: 0, ...none },
  },
  {
    name: 'malformed: empty command',
    prompt: 'Go',
    slm: ['a<call></call>b</s>'],
    llm: [],
    expected: { text: 'ab', finishReason: 'eos', slmTokens: 4, llmTokens: 0, calls: 0, malformedCommands: 1, noCallCommands: 0 },
  },
  {
    name: 'malformed: non-digit inside the command',
    prompt: 'Go',
    slm: ['a<call>x1</call>b</s>'],
    llm: [],
    expected: { text: 'ab', finishReason: 'eos', slmTokens: 6, llmTokens: 0, calls: 0, malformedCommands: 1, noCallCommands: 0 },
  },
  {
    name: 'malformed: more than 6 digits is no call (never capped)',
    prompt: 'Go',
    slm: ['a<call>1234567</call>b</s>'],
    llm: [],
    expected: { text: 'ab', finishReason: 'eos', slmTokens: 11, llmTokens: 0, calls: 0, malformedCommands: 1, noCallCommands: 0 },
  },
  {
    name: 'malformed: content longer than 8 units, the overflowing unit is text again',
    prompt: 'Go',
    slm: ['a<call>123456789b</s>'],
    llm: [],
    expected: { text: 'a9b', finishReason: 'eos', slmTokens: 12, llmTokens: 0, calls: 0, malformedCommands: 1, noCallCommands: 0 },
  },
  {
    name: 'malformed: unterminated command closed by EOS',
    prompt: 'Go',
    slm: ['a<call>12</s>'],
    llm: [],
    expected: { text: 'a', finishReason: 'eos', slmTokens: 4, llmTokens: 0, calls: 0, malformedCommands: 1, noCallCommands: 0 },
  },
  {
    name: 'malformed: unterminated command cut by the token budget',
    prompt: 'Go',
    limits: { maxTokens: 5 },
    slm: ['a<call>123456</call>'],
    llm: [],
    expected: { text: 'a', finishReason: 'length', slmTokens: 5, llmTokens: 0, calls: 0, malformedCommands: 1, noCallCommands: 0 },
  },
  {
    name: 'malformed: nested <call> abandons the open command and starts a new one',
    prompt: 'Go',
    slm: ['a<call>1<call>2</call>', 'z</s>'],
    llm: ['xy'],
    expected: { text: 'axyz', finishReason: 'eos', slmTokens: 7, llmTokens: 2, calls: 1, malformedCommands: 1, noCallCommands: 0, grants: [[2, 2, 2]] },
  },
  {
    name: 'malformed: stray </call>',
    prompt: 'Go',
    slm: ['a</call>b</s>'],
    llm: [],
    expected: { text: 'ab', finishReason: 'eos', slmTokens: 3, llmTokens: 0, calls: 0, malformedCommands: 1, noCallCommands: 0 },
  },
  {
    name: 'SLM_ONLY: commands are stripped but never call',
    prompt: 'Go',
    policy: 'SLM_ONLY',
    slm: ['P<call>5</call>Q</s>'],
    llm: [],
    expected: { text: 'PQ', finishReason: 'eos', slmTokens: 5, llmTokens: 0, calls: 0, malformedCommands: 0, noCallCommands: 1 },
  },
  {
    name: 'LLM_ONLY: the LLM writes the whole answer',
    prompt: 'Go',
    policy: 'LLM_ONLY',
    slm: [],
    llm: ['Whole answer.</s>'],
    expected: { text: 'Whole answer.', finishReason: 'eos', slmTokens: 0, llmTokens: 13, calls: 0, ...none },
  },
  {
    name: 'LLM_ONLY: bounded by maxLlmTokensTotal',
    prompt: 'Go',
    policy: 'LLM_ONLY',
    limits: { maxLlmTokensTotal: 5 },
    slm: [],
    llm: ['Whole answer.</s>'],
    expected: { text: 'Whole', finishReason: 'length', slmTokens: 0, llmTokens: 5, calls: 0, ...none },
  },
  {
    name: 'maxLlmTokensTotal caps the second call and turns the third into a no-call',
    prompt: 'Go',
    limits: { maxLlmTokensTotal: 5 },
    slm: ['a<call>3</call>', 'b<call>4</call>', 'c<call>9</call>d</s>'],
    llm: ['xyz', 'uvwxyz'],
    expected: {
      text: 'axyzbuvcd',
      finishReason: 'eos',
      slmTokens: 13,
      llmTokens: 5,
      calls: 2,
      malformedCommands: 0,
      noCallCommands: 1,
      grants: [
        [3, 3, 3],
        [4, 2, 2],
      ],
    },
  },
  {
    name: 'multi-byte text: tokens are UTF-8 bytes',
    prompt: 'Été?',
    slm: ['Ça<call>2</call>', '!</s>'],
    llm: ['été'],
    expected: { text: 'Çaé!', finishReason: 'eos', slmTokens: 7, llmTokens: 2, calls: 1, ...none, grants: [[2, 2, 2]] },
  },
  {
    name: 'a user stop string matched by the SLM ends the generation',
    prompt: 'Go',
    slm: [{ text: 'abc', finish: 'stop' }],
    llm: [],
    expected: { text: 'abc', finishReason: 'stop', slmTokens: 3, llmTokens: 0, calls: 0, ...none },
  },
];
