import type { CompletedEvent, RelayStreamEvent } from '@relayllm/relay-core';
import { ChunkStream, sseData, SSE_DONE, toChatCompletion, toTextCompletion, usageChunk } from './response-mapping';

const IDENTITY = { id: 'chatcmpl-r1', created: 1_700_000_000, model: 'relayllm' };
const COMPLETED: CompletedEvent = {
  type: 'completed',
  finishReason: 'llm_eos',
  text: 'ab cd',
  usage: {
    slmTokens: 3,
    llmTokens: 2,
    responseTokens: 5,
    calls: 1,
    llmTokenRatio: 0.4,
    malformedCommands: 0,
    noCallCommands: 0,
    callRecords: [{ callIndex: 0, origin: 'floor', requestedN: 4, grantedN: 2, tokensWritten: 2, responseTokenStart: 3, responseTokenEnd: 5, endedGeneration: true, latencyMs: 12 }],
  },
};
const EVENTS: RelayStreamEvent[] = [
  { type: 'text', source: 'SLM', text: 'ab', tokenCount: 2 },
  { type: 'relayStarted', callIndex: 0, origin: 'floor', requestedN: 4, grantedN: 2 },
  { type: 'text', source: 'LLM', text: ' cd', tokenCount: 2 },
  { type: 'relayFinished', callIndex: 0, tokensWritten: 2, latencyMs: 12 },
  COMPLETED,
];

const USAGE = {
  prompt_tokens: 0,
  completion_tokens: 5,
  total_tokens: 5,
  relay: {
    slm_tokens: 3,
    llm_tokens: 2,
    calls: 1,
    llm_token_ratio: 0.4,
    malformed_commands: 0,
    finish_reason: 'llm_eos',
    call_records: [{ call_index: 0, requested_n: 4, granted_n: 2, tokens_written: 2, response_token_start: 3, response_token_end: 5, ended_generation: true, latency_ms: 12, confidence_floor: true }],
  },
};

describe('whole responses', () => {
  it('chat.completion: the answer, finish_reason stop for the LLM ending it, usage with the relay counts', () => {
    expect(toChatCompletion([COMPLETED], IDENTITY)).toEqual({
      ...IDENTITY,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ab cd' }, finish_reason: 'stop', logprobs: null }],
      usage: USAGE,
    });
  });

  it('prompt_tokens: the front door\'s count when the prompt\'s ids are known, in total_tokens too; 0 when they are not', () => {
    const counted = toChatCompletion([{ ...COMPLETED, usage: { ...COMPLETED.usage, promptTokens: 7 } }], IDENTITY).usage;
    expect(counted).toMatchObject({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
    expect(toChatCompletion([COMPLETED], IDENTITY).usage).toMatchObject({ prompt_tokens: 0, total_tokens: 5 });
  });

  it('text_completion, and length when the budget ran out', () => {
    const body = toTextCompletion([{ ...COMPLETED, finishReason: 'length' }], { ...IDENTITY, id: 'cmpl-r1' });
    expect(body).toMatchObject({ object: 'text_completion', choices: [{ index: 0, text: 'ab cd', finish_reason: 'length', logprobs: null }] });
  });

  it('n choices: choice i from the i-th generation; usage sums them (the prompt once) and keeps each one\'s relay usage', () => {
    const second: CompletedEvent = {
      type: 'completed',
      finishReason: 'eos',
      text: 'xyz',
      usage: { slmTokens: 3, llmTokens: 0, responseTokens: 3, calls: 0, llmTokenRatio: 0, malformedCommands: 1, noCallCommands: 0, callRecords: [], promptTokens: 7 },
    };
    const first = { ...COMPLETED, usage: { ...COMPLETED.usage, promptTokens: 7 } };
    const body = toChatCompletion([first, second], IDENTITY);
    expect(body.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'ab cd' }, finish_reason: 'stop', logprobs: null },
      { index: 1, message: { role: 'assistant', content: 'xyz' }, finish_reason: 'stop', logprobs: null },
    ]);
    expect(body.usage).toEqual({
      prompt_tokens: 7,
      completion_tokens: 8,
      total_tokens: 15,
      relay: {
        slm_tokens: 6,
        llm_tokens: 2,
        calls: 1,
        llm_token_ratio: 0.25,
        malformed_commands: 1,
        choices: [USAGE.relay, { slm_tokens: 3, llm_tokens: 0, calls: 0, llm_token_ratio: 0, malformed_commands: 1, finish_reason: 'eos', call_records: [] }],
      },
    });
    expect(toTextCompletion([first, second], IDENTITY).choices.map((choice) => [choice.index, choice.text])).toEqual([[0, 'ab cd'], [1, 'xyz']]);
  });

  it('a batch counts each prompt once: the first of its choices carries it', () => {
    const withPrompt = (promptTokens: number): CompletedEvent => ({ ...COMPLETED, usage: { ...COMPLETED.usage, promptTokens } });
    const two = [withPrompt(7), withPrompt(7), withPrompt(4), withPrompt(4)];
    expect(toTextCompletion(two, IDENTITY, 2).usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 20, total_tokens: 31 });
    expect(toTextCompletion([withPrompt(7), withPrompt(4)], IDENTITY, 1).usage).toMatchObject({ prompt_tokens: 11 });
    expect(usageChunk('completions', IDENTITY, two, 2).usage).toMatchObject({ prompt_tokens: 11 });
    expect(usageChunk('completions', IDENTITY, two).usage).toMatchObject({ prompt_tokens: 7 });
  });
});

describe('ChunkStream', () => {
  const stream = (endpoint: 'chat' | 'completions', includeUsage: boolean) => {
    const chunks = new ChunkStream(endpoint, IDENTITY, includeUsage);
    const last = includeUsage ? [usageChunk(endpoint, IDENTITY, [COMPLETED])] : [];
    return [...chunks.opening(), ...EVENTS.flatMap((event) => chunks.chunksOf(event)), ...last];
  };

  it('chat: the role, one chunk per text event with its writer, a content-less chunk per call start and end, the finish', () => {
    const deltas = stream('chat', false).map((chunk) => ('delta' in chunk.choices[0] ? [chunk.choices[0].delta, chunk.choices[0].finish_reason] : undefined));
    expect(deltas).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'ab', relay: { source: 'slm', tokens: 2 } }, null],
      [{ relay: { event: 'relay_started', call_index: 0, requested_n: 4, granted_n: 2, confidence_floor: true } }, null],
      [{ content: ' cd', relay: { source: 'llm', tokens: 2, call: 0 } }, null],
      [{ relay: { event: 'relay_finished', call_index: 0, tokens_written: 2, latency_ms: 12 } }, null],
      [{}, 'stop'],
    ]);
    expect(stream('chat', false).every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === 'chatcmpl-r1' && !('usage' in chunk))).toBe(true);
  });

  it('include_usage: usage null on every chunk, then a last chunk with no choices and the usage', () => {
    const chunks = stream('chat', true);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks[chunks.length - 1]).toEqual({ ...IDENTITY, object: 'chat.completion.chunk', choices: [], usage: USAGE });
  });

  it('completions: text on the choice, the relay field beside it, no role chunk', () => {
    const chunks = stream('completions', false);
    expect(chunks.map((chunk) => chunk.object)).toEqual(Array(5).fill('text_completion'));
    expect(chunks[0].choices[0]).toEqual({ index: 0, text: 'ab', finish_reason: null, logprobs: null, relay: { source: 'slm', tokens: 2 } });
    expect(chunks[4].choices[0]).toEqual({ index: 0, text: '', finish_reason: 'stop', logprobs: null });
  });

  it('a choice\'s chunks carry its index', () => {
    const second = new ChunkStream('chat', IDENTITY, false, 1);
    const chunks = [...second.opening(), ...EVENTS.flatMap((event) => second.chunksOf(event))];
    expect(chunks.map((chunk) => chunk.choices[0].index)).toEqual(Array(6).fill(1));
  });
});

describe('SSE framing', () => {
  it('is `data: <json>` and a blank line; the stream ends with data: [DONE]', () => {
    expect(sseData({ a: 'x\ny' })).toBe('data: {"a":"x\\ny"}\n\n');
    expect(SSE_DONE).toBe('data: [DONE]\n\n');
  });
});
