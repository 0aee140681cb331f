import type { RelayRequest, RelayStreamEvent } from '@relayllm/relay-core';

/**
 * Most choices one request may ask for: `n`, and a completions batch's prompts × `n`. Each is a whole relay
 * generation, holding an SLM slot of its own.
 */
export const MAX_CHOICES = 8;

const SEEDS = 2 ** 32;

/** What a response's choices are: its request, the prompts they answer and how many answer each. */
export interface ChoicePlan {
  request: RelayRequest;
  /** A completions batch (choice i answers prompts[floor(i / choicesPerPrompt)]); otherwise one, the request's prompt. */
  prompts: readonly string[];
  /** `n`. */
  choicesPerPrompt: number;
  /** Every choice of the response: prompts × choicesPerPrompt. */
  choices: number;
}

/**
 * The front-door request of choice `index`. One choice is the request itself. With several, each is
 * a generation of its own: its prompt is the one it answers, its id `<id>-<index>` (ids name one
 * generation: a retry or a duplicate finds it by id), and a request that names a seed gives choice i
 * seed + i (mod 2^32), so sampled choices differ from each other and reproduce. A seed relay-core
 * refuses is passed on as it is, to be refused there with its own reason.
 */
export function choiceRequest(plan: ChoicePlan, index: number): RelayRequest {
  const { request } = plan;
  if (plan.choices === 1) return request;
  const seed = request.sampling?.seed;
  const derived = seed !== undefined && Number.isSafeInteger(seed) && seed >= 0 && seed < SEEDS ? { seed: (seed + index) % SEEDS } : {};
  return {
    ...request,
    generationId: `${request.generationId}-${index}`,
    prompt: plan.prompts[Math.floor(index / plan.choicesPerPrompt)],
    ...(request.sampling === undefined ? {} : { sampling: { ...request.sampling, ...derived } }),
  };
}

/** One event of one choice. */
export interface ChoiceEvent {
  index: number;
  event: RelayStreamEvent;
}

/**
 * The events of every choice's generation, as they come (with several, each choice's next event is
 * asked for while the consumer handles another's). A choice that fails ends them all: `stopAll`
 * (the generations' shared abort) stops the others, then its error is thrown. A choice's `completed`
 * event is its last: its generation is closed once it comes. Leaving early (the
 * consumer breaks) also stops them all. Every generation's iterator is closed before this returns or
 * throws.
 */
export async function* mergeChoices(streams: readonly AsyncIterable<RelayStreamEvent>[], stopAll: () => void): AsyncGenerator<ChoiceEvent> {
  if (streams.length === 1) {
    // One choice is read as it always was: one event asked for at a time, so leaving closes it at once.
    for await (const event of streams[0]) {
      yield { index: 0, event };
      if (event.type === 'completed') return;
    }
    return;
  }
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const pull = (index: number) => {
    const next = iterators[index].next().then((result) => ({ index, result }));
    // Handled now: a choice may fail while the consumer is still writing another's chunk; the race below reads it.
    next.catch(() => undefined);
    return next;
  };
  const pending = new Map(iterators.map((_, index) => [index, pull(index)]));
  let finished = false;
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done === true) {
        pending.delete(index);
        continue;
      }
      const event = result.value;
      if (event.type === 'completed') {
        // A completion is its generation's last event: the generation is closed, as one choice's always was.
        pending.delete(index);
        await iterators[index].return?.();
      } else {
        pending.set(index, pull(index));
      }
      yield { index, event };
    }
    finished = true;
  } finally {
    if (!finished) stopAll();
    // Each pending pull settles once the shared abort reaches its generation; then its iterator closes.
    await Promise.allSettled([...pending.values()]);
    await Promise.allSettled(iterators.map((iterator) => iterator.return?.()));
  }
}
