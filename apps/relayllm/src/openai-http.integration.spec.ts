import { spawn } from 'node:child_process';
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_ANSWER, SAMPLED_DRAWS_PROMPT, until } from '@relayllm/testing';
import { loadApiSecurity } from './app/config';
import { SAMPLE_PROMPT } from './cli/demo';
import { specConfig, startSpecEngines, startSpecHttpServer, type SpecEngines, type SpecHttpServer } from './testing/embedded-fixture';
import { EngineStopProbe } from './testing/engine-stop';

/**
 * The embedded server's OpenAI-compatible port driven by clients nobody here
 * wrote: the official `openai` npm package and curl, on the reference pair.
 */

const KEY = 'sk-relayllm-spec-key-0123456789';
/** Paced engines for the abort case (see ObservedEngine): the generation is surely running when cut. */
const PACE_MS = 10;
const STOP_WITHIN_MS = 100;

/** A relayed answer at temperature 0: SAMPLE_PROMPT makes the reference student call the teacher. */
const RELAYED = { model: 'relayllm', messages: [{ role: 'user' as const, content: SAMPLE_PROMPT }], temperature: 0, max_tokens: 200 };

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '-N', ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (err += data.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}: ${err}`))));
  });
}

describe('the OpenAI-compatible API (embedded server, reference models)', () => {
  let engines: SpecEngines;
  let server: SpecHttpServer;
  let client: OpenAI;

  beforeAll(async () => {
    engines = await startSpecEngines(specConfig());
    server = await startSpecHttpServer(engines);
    client = new OpenAI({ baseURL: `${server.origin}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await engines?.real.close();
  });

  beforeEach(() => {
    engines.slm.delayMs = 0;
    engines.llm.delayMs = 0;
  });

  it('answers a chat completion with the relay usage', async () => {
    const completion = await client.chat.completions.create(RELAYED);
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].message.content).toContain(`\\boxed{${DEMO_ANSWER}}`);
    expect(completion.choices[0].finish_reason).toBe('stop');
    const relay = (completion.usage as unknown as { relay: { slm_tokens: number; llm_tokens: number; calls: number; llm_token_ratio: number } }).relay;
    expect(relay.calls).toBeGreaterThan(0);
    expect(relay.llm_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBe(relay.slm_tokens + relay.llm_tokens);
    expect(relay.llm_token_ratio).toBeCloseTo(relay.llm_tokens / (relay.slm_tokens + relay.llm_tokens), 10);
  }, 30_000);

  it('streams the same answer chunk by chunk, LLM deltas marked, and the usage last (include_usage)', async () => {
    const whole = await client.chat.completions.create(RELAYED);
    const stream = await client.chat.completions.create({ ...RELAYED, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let llmText = '';
    let usage: (OpenAI.CompletionUsage & { relay?: { llm_tokens: number; calls: number } }) | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as ({ content?: string; relay?: { source?: string } } | undefined);
      text += delta?.content ?? '';
      if (delta?.relay?.source === 'llm') llmText += delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0].message.content);
    const { call_records: calls, ...counts } = (whole.usage as unknown as { relay: { call_records: Array<{ latency_ms: number }> } }).relay;
    // The same generation, but each call's latency is its own.
    expect(usage?.relay).toEqual({ ...counts, call_records: calls.map((record) => ({ ...record, latency_ms: expect.any(Number) })) });
    expect(llmText.length).toBeGreaterThan(0);
    expect(text).toContain(llmText);
  }, 30_000);

  it('completions: the raw prompt, no chat template', async () => {
    const completion = await client.completions.create({ model: 'relayllm', prompt: `${SAMPLE_PROMPT}\n`, temperature: 0, max_tokens: 200 });
    expect(completion.object).toBe('text_completion');
    // The reference format is `<s>` + question + "\n": written by hand, the answer is the chat one.
    expect(completion.choices[0].text).toBe((await client.chat.completions.create(RELAYED)).choices[0].message.content);
  }, 30_000);

  it('completions: a batch of prompts, each answered as it is alone, streamed or whole, the prompts\' tokens summed', async () => {
    const prompts = [`${SAMPLE_PROMPT}\n`, `${SAMPLED_DRAWS_PROMPT}\n`];
    const alone = await Promise.all(prompts.map((prompt) => client.completions.create({ model: 'relayllm', prompt, temperature: 0, max_tokens: 200 })));
    const batch = await client.completions.create({ model: 'relayllm', prompt: prompts, temperature: 0, max_tokens: 200 });
    expect(batch.choices.map((c) => [c.index, c.text])).toEqual(alone.map((one, index) => [index, one.choices[0].text]));
    expect(new Set(batch.choices.map((c) => c.text)).size).toBe(2);
    expect(batch.usage?.prompt_tokens).toBe(alone.reduce((sum, one) => sum + (one.usage?.prompt_tokens ?? 0), 0));
    expect(batch.usage?.prompt_tokens).toBeGreaterThan(alone[0].usage?.prompt_tokens ?? 0);
    const texts = ['', ''];
    for await (const chunk of await client.completions.create({ model: 'relayllm', prompt: prompts, temperature: 0, max_tokens: 200, stream: true })) {
      for (const choice of chunk.choices) texts[choice.index] += choice.text;
    }
    expect(texts).toEqual(batch.choices.map((c) => c.text));
  }, 60_000);

  it('n choices: greedy they are all the one answer; sampled with a seed each is its own draw, the same again, streamed or whole', async () => {
    type Relay = { calls: number; llm_tokens: number; call_records: Array<{ response_token_start: number }> };
    type Usage = { completion_tokens: number; relay: Relay & { choices: Relay[] } };
    // A draw as the relay records it: this student's sampled answers differ in where and how often it calls.
    const draw = (relay: Relay): string => JSON.stringify([relay.calls, relay.llm_tokens, relay.call_records.map((r) => r.response_token_start)]);
    const greedy = await client.chat.completions.create({ ...RELAYED, n: 2 });
    const answer = (await client.chat.completions.create(RELAYED)).choices[0].message.content;
    expect(greedy.choices.map((c) => [c.index, c.message.content])).toEqual([[0, answer], [1, answer]]);
    const sampled = { ...RELAYED, messages: [{ role: 'user' as const, content: SAMPLED_DRAWS_PROMPT }], n: 3, temperature: 1, seed: 11 };
    const whole = await client.chat.completions.create(sampled);
    const usage = whole.usage as unknown as Usage;
    expect(new Set(usage.relay.choices.map(draw)).size).toBeGreaterThan(1);
    const again = await client.chat.completions.create(sampled);
    expect((again.usage as unknown as Usage).relay.choices.map(draw)).toEqual(usage.relay.choices.map(draw));
    // Choice i draws with seed 11 + i: the third choice is what one choice with seed 13 gives.
    const third = await client.chat.completions.create({ ...sampled, n: 1, seed: 13 });
    expect([whole.choices[2].message.content, draw(usage.relay.choices[2])]).toEqual([third.choices[0].message.content, draw((third.usage as unknown as Usage).relay)]);
    const texts = ['', '', ''];
    for await (const chunk of await client.chat.completions.create({ ...sampled, stream: true })) {
      for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? '';
    }
    expect(texts).toEqual(whole.choices.map((c) => c.message.content));
    expect(usage.completion_tokens).toBe(usage.relay.choices.reduce((sum, c) => sum + (c as Relay & { slm_tokens: number }).slm_tokens + c.llm_tokens, 0));
  }, 60_000);

  it('lists the pair as one model', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((m) => m.id)).toEqual(['relayllm']);
    expect((models[0] as unknown as { relayllm: { slm: { command_syntax: string } } }).relayllm.slm.command_syntax).toBe('token');
  });

  it('a bad value is a 400 whose param names the field', async () => {
    const error = await client.chat.completions.create({ ...RELAYED, temperature: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'temperature', code: 'temperature_range' });
    const limits = await client.chat.completions.create({ ...RELAYED, relay_limits: { max_turns: 0 } } as never).catch((e: unknown) => e);
    expect(limits).toMatchObject({ status: 400, param: 'relay_limits.max_turns' });
    expect(await client.chat.completions.create({ ...RELAYED, n: 9 }).catch((e: unknown) => e)).toMatchObject({ status: 400, param: 'n' });
  });

  it('confidence_floor, sent as an extra body field: the floor calls the LLM and its call records say so; a bad one is a 400 naming it', async () => {
    type Records = { relay: { call_records: Array<{ requested_n: number; granted_n: number; confidence_floor: boolean }> } };
    // At temperature 0 the student gives a few of this answer's tokens 0.996-0.998: a floor of 0.999 hands them to the teacher.
    // (0.99 would call nothing: the one token below it is the student's own <call>, which the floor never replaces.)
    const floored = await client.chat.completions.create({ ...RELAYED, confidence_floor: { threshold: 0.999, call_tokens: 3 } } as never);
    const records = (floored.usage as unknown as Records).relay.call_records;
    const floorCalls = records.filter((record) => record.confidence_floor);
    expect(floorCalls.length).toBeGreaterThan(0);
    expect(floorCalls.every((record) => record.requested_n === 3)).toBe(true);
    // The same request without a floor: every call is the SLM's own command.
    const plain = await client.chat.completions.create(RELAYED);
    expect((plain.usage as unknown as Records).relay.call_records.map((record) => record.confidence_floor)).toEqual(
      (plain.usage as unknown as Records).relay.call_records.map(() => false),
    );
    const bad = await client.chat.completions.create({ ...RELAYED, confidence_floor: { threshold: 0.9, call_tokens: 0 } } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ status: 400, param: 'confidence_floor.call_tokens', code: 'confidence_floor_range' });
  }, 30_000);

  it("an operator's request defaults (RELAYLLM_DEFAULT_CONFIDENCE_FLOOR, RELAYLLM_DEFAULT_MAX_TURNS) serve a plain client the floor; a request's own values win", async () => {
    type Records = { relay: { call_records: Array<{ confidence_floor: boolean }> } };
    const floorCalls = (completion: OpenAI.ChatCompletion): number =>
      (completion.usage as unknown as Records).relay.call_records.filter((record) => record.confidence_floor).length;
    const defaulted = await startSpecHttpServer(engines, specConfig({ RELAYLLM_DEFAULT_CONFIDENCE_FLOOR: '0.999', RELAYLLM_DEFAULT_MAX_TURNS: '64' }));
    try {
      const plainClient = new OpenAI({ baseURL: `${defaulted.origin}/v1`, apiKey: 'unused', maxRetries: 0 });
      // The same request the floor test above sends with confidence_floor 0.999: here the server supplies it.
      expect(floorCalls(await plainClient.chat.completions.create(RELAYED))).toBeGreaterThan(0);
      expect(floorCalls(await plainClient.chat.completions.create({ ...RELAYED, confidence_floor: { threshold: 0 } } as never))).toBe(0);
      const oneTurn = await plainClient.chat.completions.create({ ...RELAYED, relay_limits: { max_turns: 1 } } as never);
      expect((oneTurn.usage as unknown as Records).relay.call_records).toEqual([]);
    } finally {
      await defaulted.close();
    }
  }, 30_000);

  it('with API keys configured: no key or a wrong one is a 401, the key opens the API', async () => {
    const keyed = await startSpecHttpServer(engines, specConfig(), loadApiSecurity({ RELAYLLM_API_KEYS: `spec:${KEY}` }));
    try {
      const wrong = new OpenAI({ baseURL: `${keyed.origin}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
      await expect(wrong.chat.completions.create(RELAYED)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      const right = new OpenAI({ baseURL: `${keyed.origin}/v1`, apiKey: KEY, maxRetries: 0 });
      expect((await right.chat.completions.create({ ...RELAYED, max_tokens: 4 })).choices).toHaveLength(1);
    } finally {
      await keyed.close();
    }
  }, 30_000);

  it('a stream the client aborts mid-way stops both engines within 100 ms (in paced steps)', async () => {
    engines.slm.delayMs = PACE_MS;
    engines.llm.delayMs = PACE_MS;
    const probe = new EngineStopProbe(engines, PACE_MS);
    const stream = await client.chat.completions.create({ ...RELAYED, max_tokens: 400, stream: true, relay_policy: 'relay' } as never);
    let chunks = 0;
    // The SDK ends the iteration quietly once its own controller aborts.
    const reading = (async () => {
      for await (const chunk of stream as unknown as AsyncIterable<unknown>) if (chunk !== undefined) chunks += 1;
    })();
    await until(() => probe.busy() > 0, 'a generation to hold an engine sequence', 5_000);
    const start = probe.mark();
    await sleep(20 * PACE_MS);
    expect(probe.busy()).toBeGreaterThan(0);
    const cut = probe.mark();
    (stream as unknown as { controller: AbortController }).controller.abort();
    await reading;
    expect(chunks).toBeGreaterThan(1);
    await probe.expectStoppedWithin(start, cut, STOP_WITHIN_MS);
  }, 30_000);

  it('shutting down: health turns 503 at once, a stream in flight is ended with SERVER_SHUTDOWN after the grace period', async () => {
    engines.slm.delayMs = PACE_MS;
    engines.llm.delayMs = PACE_MS;
    const probe = new EngineStopProbe(engines, PACE_MS);
    const closing = await startSpecHttpServer(engines);
    const response = await fetch(`${closing.origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...RELAYED, max_tokens: 400, stream: true }),
    });
    const body = response.text();
    await until(() => probe.busy() > 0, 'a generation to hold an engine sequence', 5_000);
    const http = closing.servers.http?.server;
    const closed = http?.close(200);
    expect(closing.servers.http?.server.api.activeGenerations).toBe(1);
    expect((await http?.fastify.inject({ method: 'GET', url: '/health' }))?.statusCode).toBe(503);
    const events = (await body).split('\n\n').filter((e) => e !== '');
    expect(JSON.parse(events[events.length - 1].slice('data: '.length))).toMatchObject({ error: { relay_reason: 'SERVER_SHUTDOWN' } });
    await closed;
    await until(() => probe.busy() === 0, 'the engine sequences to be released', 1_000);
    await closing.close();
  }, 30_000);

  it('raw server-sent events (curl): data: {json} events, one per relay event, ending with data: [DONE]', async () => {
    const body = JSON.stringify({ ...RELAYED, stream: true, stream_options: { include_usage: true } });
    const raw = await curl(['-D', '-', `${server.origin}/v1/chat/completions`, '-H', 'content-type: application/json', '-d', body]);
    const [head, stream] = raw.split('\r\n\r\n', 2);
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head.toLowerCase()).toContain('content-type: text/event-stream');
    expect(stream.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
    const events = stream.slice(0, -'data: [DONE]\n\n'.length).split('\n\n').filter((e) => e !== '');
    expect(events.every((e) => e.startsWith('data: {') && !e.includes('\n'))).toBe(true);
    const chunks = events.map((e) => JSON.parse(e.slice('data: '.length)));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const relayEvents = chunks.map((c) => c.choices[0]?.delta?.relay?.event).filter((e) => e !== undefined);
    const usage = chunks[chunks.length - 1].usage.relay;
    expect(relayEvents).toEqual(Array.from({ length: usage.calls }, () => ['relay_started', 'relay_finished']).flat());
    expect(chunks[chunks.length - 1].choices).toEqual([]);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
    // curl's default content type is a form: the body is still read as JSON.
    const plain = await curl([`${server.origin}/v1/chat/completions`, '-d', JSON.stringify({ ...RELAYED, max_tokens: 4 })]);
    expect(JSON.parse(plain).object).toBe('chat.completion');
  }, 30_000);
});
