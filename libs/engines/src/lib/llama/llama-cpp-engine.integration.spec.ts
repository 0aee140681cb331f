import { BOS, CALL_CLOSE, CALL_OPEN, EOS } from '@relayllm/llama-cpp';
import { isRelayError } from '@relayllm/relay-core';
import { BATCHED_PROMPTS, IN_TASK_PROMPT, referenceModelDir } from '@relayllm/testing';
import { join } from 'path';
import { bytes, collect, request } from '../../testing/engine-spec-helpers';
import { startReferenceLlamaPair, type ReferenceLlamaPair } from '../../testing/reference-llama-pair';
import { LlamaCppEngine } from './llama-cpp-engine';

/** Specs against the REAL reference GGUF pair (byte-level vocabulary, 260 ids). */
const dir = referenceModelDir();
const SLM = join(dir, 'slm.gguf');
const QUESTION = `${IN_TASK_PROMPT}\n`;
const PROMPT = [BOS, ...bytes(QUESTION)];

describe('LlamaCppEngine (real llama.cpp model)', () => {
  let pair: ReferenceLlamaPair;
  let slm: LlamaCppEngine;
  let llm: LlamaCppEngine;

  beforeAll(async () => {
    pair = await startReferenceLlamaPair({ slm: 4, llm: 2 });
    ({ slm, llm } = pair);
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  it('greedy decoding is deterministic, whatever sequence serves it', async () => {
    const a = await collect(slm.generate(request('det/a', PROMPT, { maxTokens: 24 }), new AbortController().signal));
    const b = await collect(slm.generate(request('det/b', PROMPT, { maxTokens: 24 }), new AbortController().signal));
    const c = await collect(slm.generate(request('det/a', PROMPT, { maxTokens: 24 }), new AbortController().signal));
    expect(a.tokens.length).toBeGreaterThan(0);
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).toEqual(a.tokens);
    expect(b.text).toBe(a.text);
    // One chunk per id without stop strings, each with its probability.
    for (const chunk of a.chunks.filter((ch) => ch.tokens.length > 0)) {
      expect(chunk.tokens).toHaveLength(1);
      expect(chunk.probabilities?.[0]).toBeGreaterThan(0);
    }
    expect(a.text).toBe(a.chunks.map((ch) => ch.text).join(''));
  });

  // The teacher (llm.gguf) answers alone and ends with EOS (the pair shipped on 2026-12-07: 99.0%
  // correct on the test split, every answer ended with EOS; IN_TASK_PROMPT in 168 tokens).
  it('a greedy answer of the trained teacher ends at EOS (finish eos, EOS reported with empty text)', async () => {
    const out = await collect(llm.generate(request('eos', PROMPT, { maxTokens: 400 }), new AbortController().signal));
    expect(out.finish).toBe('eos');
    expect(out.tokens[out.tokens.length - 1]).toBe(EOS);
    expect(out.chunks[out.chunks.length - 1]?.text).toBe('');
  });

  it('an append-only relay turn evaluates only the tokens new to the KV cache', async () => {
    const k = 8;
    const before1 = slm.evaluatedTokens;
    const turn1 = await collect(slm.generate(request('kv/slm', PROMPT, { maxTokens: k }), new AbortController().signal));
    expect(turn1.finish).toBe('length');
    // The last sampled id is never fed: prompt + k-1 generated ids were evaluated.
    expect(slm.evaluatedTokens - before1).toBe(PROMPT.length + k - 1);

    // The LLM continues (command ids banned), then the SLM resumes on prompt + own output + LLM output.
    const llmTurn = await collect(
      llm.generate(request('kv/llm', [...PROMPT, ...turn1.tokens], { maxTokens: 6, bannedTokens: [CALL_OPEN, CALL_CLOSE] }), new AbortController().signal),
    );
    const appended = llmTurn.tokens.filter((t) => t !== EOS);
    expect(appended.length).toBeGreaterThan(0);
    const full = [...PROMPT, ...turn1.tokens, ...appended];
    const m = 5;
    const before2 = slm.evaluatedTokens;
    const turn2 = await collect(
      slm.generate(
        request('kv/slm', full, { maxTokens: m, appendOnly: true, appendFrom: { text: QUESTION.length, tokens: PROMPT.length } }),
        new AbortController().signal,
      ),
    );
    const delta = slm.evaluatedTokens - before2;
    // appended ids + the SLM's own last id of turn 1 (sampled, never fed) + the ids turn 2 generated minus its last.
    expect(delta).toBe(appended.length + 1 + (turn2.tokens.length - 1));
    expect(delta).toBeLessThan(full.length);

    // Same output as evaluating the whole context from scratch on a fresh sequence.
    const before3 = slm.evaluatedTokens;
    const scratch = await collect(slm.generate(request('kv/scratch', full, { maxTokens: m }), new AbortController().signal));
    expect(scratch.tokens).toEqual(turn2.tokens);
    expect(slm.evaluatedTokens - before3).toBe(full.length + scratch.tokens.length - 1);
    console.log(
      `[kv-reuse] context ${full.length} ids (prompt ${PROMPT.length}, slm ${turn1.tokens.length}, llm ${appended.length}); ` +
        `turn 2 evaluated ${delta} ids for ${turn2.tokens.length} generated; from scratch ${slm.evaluatedTokens - before3}`,
    );
  });

  it('reuses the cache up to what the relay kept when it dropped part of the output', async () => {
    const turn1 = await collect(slm.generate(request('cut/slm', PROMPT, { maxTokens: 8 }), new AbortController().signal));
    const kept = turn1.tokens.slice(0, 3);
    const appended = bytes('\u00a7#'); // bytes no model writes after `kept`: they differ from turn1.tokens[3]
    expect(appended[0]).not.toBe(turn1.tokens[3]);
    const before = slm.evaluatedTokens;
    const turn2 = await collect(
      slm.generate(
        request('cut/slm', [...PROMPT, ...kept, ...appended], { maxTokens: 1, appendOnly: true, appendFrom: { text: 0, tokens: PROMPT.length } }),
        new AbortController().signal,
      ),
    );
    expect(slm.evaluatedTokens - before).toBe(appended.length);
    // The first chunk says how the context was fed (what a worker reports per request).
    expect(turn2.chunks[0]?.prefill).toEqual({ reusedTokens: PROMPT.length + kept.length, evaluatedTokens: appended.length });
    expect(turn2.chunks.slice(1).every((ch) => ch.prefill === undefined)).toBe(true);
  });

  it('a non-append request on a kept sequence starts over', async () => {
    await collect(slm.generate(request('reset', PROMPT, { maxTokens: 4 }), new AbortController().signal));
    const before = slm.evaluatedTokens;
    await collect(slm.generate(request('reset', PROMPT, { maxTokens: 1 }), new AbortController().signal));
    expect(slm.evaluatedTokens - before).toBe(PROMPT.length);
  });

  it('never produces a banned id, greedy or sampled', async () => {
    const banned = [CALL_OPEN, CALL_CLOSE];
    for (const sampling of [{ temperature: 0 }, { temperature: 1.5, seed: 7 }]) {
      const out = await collect(
        slm.generate(request('ban', PROMPT, { maxTokens: 64, bannedTokens: banned, sampling }), new AbortController().signal),
      );
      expect(out.tokens.filter((t) => t === CALL_OPEN || t === CALL_CLOSE)).toEqual([]);
      expect(out.tokens.length).toBeGreaterThan(0);
    }
  });

  it('fixed seed: sampled output is reproducible', async () => {
    const run = () =>
      collect(slm.generate(request('seed', PROMPT, { maxTokens: 24, sampling: { temperature: 1, topP: 0.9, seed: 42 } }), new AbortController().signal));
    expect((await run()).tokens).toEqual((await run()).tokens);
  });

  it('stops at the </call> token via stopTokens and reports it', async () => {
    const inCommand = [...PROMPT, CALL_OPEN, ...bytes('2')];
    const out = await collect(slm.generate(request('stoptok', inCommand, { maxTokens: 32, stopTokens: [CALL_CLOSE] }), new AbortController().signal));
    expect(out.finish).toBe('stop');
    expect(out.tokens[out.tokens.length - 1]).toBe(CALL_CLOSE);
    expect(out.tokens.indexOf(CALL_CLOSE)).toBe(out.tokens.length - 1);
    expect(out.text.endsWith('</call>')).toBe(true); // control ids decode to their literal text
  });

  it('stop strings end the stream before the match (OpenAI convention)', async () => {
    const ref = await collect(slm.generate(request('stopstr', PROMPT, { maxTokens: 16 }), new AbortController().signal));
    // Token-aligned, so that the match cannot start inside a multi-character id like `</call>`.
    const stop = ref.chunks.slice(3, 6).map((ch) => ch.text).join('');
    expect(stop).not.toBe('');
    const out = await collect(slm.generate(request('stopstr', PROMPT, { maxTokens: 16, stop: [stop] }), new AbortController().signal));
    expect(out.finish).toBe('stop');
    expect(out.text).toBe(ref.text.slice(0, ref.text.indexOf(stop)));
  });

  it('abort mid-generation: the stream ends within 100 ms and frees the sequence', async () => {
    for (const [label, abortIn] of [['while the consumer holds a chunk', 'chunk'], ['from a timer, mid-stream', 'timer']] as const) {
      const controller = new AbortController();
      const stream = slm.generate(request(`abort/${abortIn}`, PROMPT, { maxTokens: 400 }), controller.signal);
      let abortedAt = 0;
      let timer: NodeJS.Timeout | undefined;
      let seen = 0;
      let last: string | undefined;
      for await (const chunk of stream) {
        seen += chunk.tokens.length;
        last = chunk.finish;
        // A timer fires between model steps, while the stream is inside llama.cpp.
        if (abortIn === 'timer' && timer === undefined) {
          timer = setTimeout(() => {
            abortedAt = performance.now();
            controller.abort();
          }, 0);
        }
        if (abortIn === 'chunk' && seen === 5) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
      clearTimeout(timer);
      const latency = performance.now() - abortedAt;
      console.log(`[abort] ${label}: stream ended ${latency.toFixed(2)} ms after abort(), after ${seen} ids`);
      expect(abortedAt).toBeGreaterThan(0);
      expect(seen).toBeLessThan(400);
      expect(latency).toBeLessThan(100);
      expect(last).toBe('abort');
      expect(slm.busySequences()).toBe(0);
    }
    const again = await collect(slm.generate(request('abort/chunk', PROMPT, { maxTokens: 3 }), new AbortController().signal));
    expect(again.tokens).toHaveLength(3);
  });

  it('serves N sequences concurrently with the same output as one at a time', async () => {
    const prompts = BATCHED_PROMPTS.map((q) => [BOS, ...bytes(`${q}\n`)]);
    const alone = [];
    for (const [i, p] of prompts.entries()) alone.push(await collect(slm.generate(request(`solo/${i}`, p, { maxTokens: 12 }), new AbortController().signal)));
    const together = await Promise.all(
      prompts.map((p, i) => collect(slm.generate(request(`conc/${i}`, p, { maxTokens: 12 }), new AbortController().signal))),
    );
    expect(together.map((o) => o.tokens)).toEqual(alone.map((o) => o.tokens));
    expect(slm.busySequences()).toBe(0);
  });

  it('a request beyond N waits for a free sequence; with no waiting allowed it is resource_exhausted', async () => {
    const five = Array.from({ length: 5 }, (_, i) => collect(slm.generate(request(`q/${i}`, PROMPT, { maxTokens: 6 }), new AbortController().signal)));
    for (const out of await Promise.all(five)) expect(out.tokens).toHaveLength(6);

    const strict = new LlamaCppEngine({ modelPath: SLM, llama: pair.llama, sequences: 1, waitTimeoutMs: 0 });
    await strict.start();
    try {
      const first = strict.generate(request('s/1', PROMPT, { maxTokens: 50 }), new AbortController().signal)[Symbol.asyncIterator]();
      await first.next(); // holds the only sequence
      const err = await collect(strict.generate(request('s/2', PROMPT), new AbortController().signal)).catch((e: unknown) => e);
      expect(isRelayError(err, 'resource_exhausted')).toBe(true);
      await first.return?.();
      expect(strict.busySequences()).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('full next-token distributions: 260 entries summing to 1, consistent with the sampled id', async () => {
    const full = new LlamaCppEngine({ modelPath: SLM, llama: pair.llama, sequences: 1, probabilities: 'full' });
    await full.start();
    try {
      const out = await collect(full.generate(request('dist', PROMPT, { maxTokens: 3 }), new AbortController().signal));
      const chunk = out.chunks[0];
      const dist = chunk?.distributions?.[0];
      expect(dist).toHaveLength(260);
      const sum = Array.from(dist ?? []).reduce((s, p) => s + p, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
      const argmax = Array.from(dist ?? []).reduce((best, p, id, all) => (p > (all[best] ?? -1) ? id : best), 0);
      expect(chunk?.tokens[0]).toBe(argmax);
      expect(chunk?.probabilities?.[0]).toBeCloseTo(dist?.[argmax] ?? -1, 6);
    } finally {
      await full.close();
    }
  });

  it('invalid requests are invalid_argument; generation stops at the end of the context window', async () => {
    const window = slm.contextSize;
    const cases: Array<[Parameters<typeof request>[2], number[]]> = [
      [{}, Array.from({ length: window }, () => 65)],
      [{}, [...PROMPT, 999]],
      [{ maxTokens: 0 }, PROMPT],
      [{ bannedTokens: [-1] }, PROMPT],
    ];
    for (const [over, tokens] of cases) {
      const err = await collect(slm.generate(request('bad', tokens, over), new AbortController().signal)).catch((e: unknown) => e);
      expect(isRelayError(err, 'invalid_argument')).toBe(true);
    }
    const nearlyFull = [BOS, ...Array.from({ length: window - 3 }, () => 65)];
    const out = await collect(slm.generate(request('full', nearlyFull, { maxTokens: 50 }), new AbortController().signal));
    // Room for 2 ids (a model may also end earlier with EOS).
    expect(out.tokens.length).toBeLessThanOrEqual(2);
    expect(out.finish).toBe(out.tokens.includes(EOS) ? 'eos' : 'length');
  });

  it('a text-only context is tokenized as plain text after BOS', async () => {
    const typed = 'Compute <call>5</call>+1.\n';
    const fromIds = await collect(slm.generate(request('txt/a', [BOS, ...bytes(typed)], { maxTokens: 8 }), new AbortController().signal));
    const fromText = await collect(
      slm.generate({ ...request('txt/b', [], { maxTokens: 8 }), context: { text: typed } }, new AbortController().signal),
    );
    expect(fromText.tokens).toEqual(fromIds.tokens);
  });
});
