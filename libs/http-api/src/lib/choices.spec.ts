import type { RelayRequest, RelayStreamEvent } from '@relayllm/relay-core';
import { choiceRequest, mergeChoices, type ChoiceEvent, type ChoicePlan } from './choices';

const REQUEST: RelayRequest = { generationId: 'g', prompt: 'Q', maxTokens: 8, sampling: { temperature: 0.7, seed: 5 } };
const text = (t: string): RelayStreamEvent => ({ type: 'text', source: 'SLM', text: t, tokenCount: 1 });
const completed = (t: string): RelayStreamEvent => ({
  type: 'completed',
  finishReason: 'eos',
  text: t,
  usage: { slmTokens: 1, llmTokens: 0, responseTokens: 1, calls: 0, llmTokenRatio: 0, malformedCommands: 0, noCallCommands: 0, callRecords: [] },
});

/** TEST DOUBLE: a generation that yields `events` one per turn of the event loop, then fails or waits for its abort; records its close. */
function generation(events: RelayStreamEvent[], log: string[], name: string, end: { failWith?: Error; untilAborted?: AbortSignal } = {}) {
  return (async function* () {
    try {
      for (const event of events) {
        await new Promise((resolve) => setImmediate(resolve));
        yield event;
      }
      if (end.failWith !== undefined) throw end.failWith;
      const signal = end.untilAborted;
      if (signal !== undefined && !signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    } finally {
      log.push(`${name} closed`);
    }
  })();
}

async function collect(events: AsyncIterable<ChoiceEvent>): Promise<string[]> {
  const seen: string[] = [];
  for await (const { index, event } of events) seen.push(`${index}:${event.type === 'text' ? event.text : event.type}`);
  return seen;
}

/** The plan of `n` choices of one prompt. */
const nOf = (request: RelayRequest, n: number): ChoicePlan => ({ request, prompts: [request.prompt], choicesPerPrompt: n, choices: n });

describe('choiceRequest', () => {
  it('one choice is the request itself', () => {
    expect(choiceRequest(nOf(REQUEST, 1), 0)).toBe(REQUEST);
  });

  it('several: an id each, and seed + index so sampled choices differ and reproduce', () => {
    const three = [0, 1, 2].map((i) => choiceRequest(nOf(REQUEST, 3), i));
    expect(three.map((r) => [r.generationId, r.prompt, r.sampling?.seed, r.sampling?.temperature])).toEqual([
      ['g-0', 'Q', 5, 0.7],
      ['g-1', 'Q', 6, 0.7],
      ['g-2', 'Q', 7, 0.7],
    ]);
    expect(REQUEST.sampling?.seed).toBe(5);
  });

  it('a batch: each prompt answered by its n choices in turn, ids and seeds counted over the whole response', () => {
    const plan: ChoicePlan = { request: { ...REQUEST, prompt: 'A' }, prompts: ['A', 'B', 'C'], choicesPerPrompt: 2, choices: 6 };
    const six = [0, 1, 2, 3, 4, 5].map((i) => choiceRequest(plan, i));
    expect(six.map((r) => [r.generationId, r.prompt, r.sampling?.seed])).toEqual([
      ['g-0', 'A', 5],
      ['g-1', 'A', 6],
      ['g-2', 'B', 7],
      ['g-3', 'B', 8],
      ['g-4', 'C', 9],
      ['g-5', 'C', 10],
    ]);
    const batchOfOne = { ...plan, prompts: ['A', 'B'], choicesPerPrompt: 1, choices: 2 };
    expect([0, 1].map((i) => choiceRequest(batchOfOne, i).prompt)).toEqual(['A', 'B']);
  });

  it('the seed wraps at 2^32; a seed relay-core refuses is passed on as given; no seed, no sampling stay so', () => {
    expect(choiceRequest(nOf({ ...REQUEST, sampling: { seed: 2 ** 32 - 1 } }, 2), 1).sampling).toEqual({ seed: 0 });
    expect(choiceRequest(nOf({ ...REQUEST, sampling: { seed: -1 } }, 2), 1).sampling).toEqual({ seed: -1 });
    expect(choiceRequest(nOf({ ...REQUEST, sampling: { temperature: 1 } }, 2), 1).sampling).toEqual({ temperature: 1 });
    expect('sampling' in choiceRequest(nOf({ generationId: 'g', prompt: 'Q', maxTokens: 8 }, 2), 1)).toBe(false);
  });
});

describe('mergeChoices', () => {
  it('gives every choice\'s events as they come, and closes each generation at its completion', async () => {
    const log: string[] = [];
    const seen = await collect(mergeChoices([generation([text('a'), text('b'), completed('ab')], log, 'g0'), generation([text('x'), completed('x')], log, 'g1')], () => log.push('stop')));
    expect(seen).toEqual(['0:a', '1:x', '0:b', '1:completed', '0:completed']);
    expect(log).toEqual(['g1 closed', 'g0 closed']);
  });

  it('one choice failing stops the others, closes them all and throws its error', async () => {
    const log: string[] = [];
    const stop = new AbortController();
    const boom = new Error('boom');
    const merged = mergeChoices([generation([text('a')], log, 'g0', { untilAborted: stop.signal }), generation([text('x')], log, 'g1', { failWith: boom })], () => {
      log.push('stop');
      stop.abort();
    });
    await expect(collect(merged)).rejects.toBe(boom);
    expect(log.sort()).toEqual(['g0 closed', 'g1 closed', 'stop']);
  });

  it('a consumer that leaves early stops and closes them all', async () => {
    const log: string[] = [];
    const stop = new AbortController();
    const merged = mergeChoices([generation([text('a'), text('b')], log, 'g0', { untilAborted: stop.signal }), generation([text('x')], log, 'g1', { untilAborted: stop.signal })], () => {
      log.push('stop');
      stop.abort();
    });
    await merged.next();
    await merged.return(undefined);
    expect(log.sort()).toEqual(['g0 closed', 'g1 closed', 'stop']);
  });

  it('one choice asks for one event at a time and is closed at its completion, with no stop', async () => {
    const log: string[] = [];
    const seen = await collect(mergeChoices([generation([text('a'), completed('a'), text('never')], log, 'g0')], () => log.push('stop')));
    expect(seen).toEqual(['0:a', '0:completed']);
    expect(log).toEqual(['g0 closed']);
  });
});
