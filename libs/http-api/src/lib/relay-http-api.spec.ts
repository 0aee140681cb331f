import {
  InvalidArgumentReason,
  isRelayError,
  referenceModels,
  RelayError,
  UnavailableReason,
  type CompletedEvent,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import { EventsHandlerFake, HttpResponderSpy, httpRequest } from '../testing';
import { RelayHttpApi, type HttpErrorContext, type RelayHttpApiOptions } from './relay-http-api';

const COMPLETED: CompletedEvent = {
  type: 'completed',
  finishReason: 'eos',
  text: 'ab',
  usage: { slmTokens: 2, llmTokens: 0, responseTokens: 2, calls: 0, llmTokenRatio: 0, malformedCommands: 0, noCallCommands: 0, callRecords: [] },
};
const EVENTS: RelayStreamEvent[] = [{ type: 'text', source: 'SLM', text: 'a', tokenCount: 1 }, { type: 'text', source: 'SLM', text: 'b', tokenCount: 1 }, COMPLETED];
const CHAT_BODY = { model: 'relayllm', messages: [{ role: 'user', content: 'Hi' }] };
const KEYS = { identify: (presented: string) => (presented === 'sk-right-key-0123456789' ? 'team-a' : undefined) };

function api(relay: EventsHandlerFake, over: Partial<RelayHttpApiOptions> = {}): RelayHttpApi {
  return new RelayHttpApi({ relay, models: () => referenceModels(), defaultMaxTokens: 32, now: () => 1_700_000_000_000, newRequestId: () => 'gen-1', ...over });
}

async function call(target: RelayHttpApi, init: Parameters<typeof httpRequest>[0], response = new HttpResponderSpy()): Promise<HttpResponderSpy> {
  const route = target.routes.find((r) => r.method === (init.method ?? 'POST') && (r.path === init.path || (r.path.endsWith('/:model') && init.path.startsWith('/v1/models/'))));
  await (route === undefined ? target.notFound(httpRequest(init), response) : route.handle(httpRequest(init), response));
  return response;
}

const chat = (target: RelayHttpApi, body: object, headers: Record<string, string> = {}, response?: HttpResponderSpy) =>
  call(target, { path: '/v1/chat/completions', body: { ...CHAT_BODY, ...body }, headers }, response);

describe('RelayHttpApi: generations', () => {
  it('answers a chat completion whole, the conversation and the caller handed to the front door', async () => {
    const relay = new EventsHandlerFake(EVENTS);
    const res = await chat(api(relay), {}, { 'x-request-id': 'my-id', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect([res.status, res.streamed, res.headers['x-request-id']]).toEqual([200, false, 'my-id']);
    expect(res.json()).toMatchObject({ id: 'chatcmpl-my-id', object: 'chat.completion', created: 1_700_000_000, choices: [{ message: { content: 'ab' } }] });
    expect(relay.calls[0].request).toMatchObject({ generationId: 'my-id', prompt: 'Hi', input: { kind: 'messages' }, maxTokens: 32 });
    expect(relay.calls[0].caller).toEqual({ protocol: 'http', traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
  });

  it('streams server-sent events: data chunks, then data: [DONE]', async () => {
    const res = await chat(api(new EventsHandlerFake(EVENTS)), { stream: true });
    expect([res.status, res.headers['content-type'], res.ended]).toEqual([200, 'text/event-stream; charset=utf-8', true]);
    expect(res.writes.every((write) => /^data: .*\n\n$/s.test(write))).toBe(true);
    const events = res.events();
    expect(events.map((e) => (e === '[DONE]' ? e : e.choices[0].delta))).toEqual([{ role: 'assistant', content: '' }, { content: 'a', relay: { source: 'slm', tokens: 1 } }, { content: 'b', relay: { source: 'slm', tokens: 1 } }, {}, '[DONE]']);
  });

  it('a request the front door refuses gets its status even when streaming was asked for (the stream opens with the first event)', async () => {
    const refusal = RelayError.invalidArgument(InvalidArgumentReason.MAX_TOKENS_RANGE, 'maxTokens must be an integer in [1, 2048], got 0', 'maxTokens');
    const res = await chat(api(new EventsHandlerFake([], refusal)), { stream: true, max_completion_tokens: 0 });
    expect([res.status, res.streamed, res.headers['x-request-id']]).toEqual([400, false, 'gen-1']);
    expect(res.json().error).toMatchObject({ param: 'max_completion_tokens', code: 'max_tokens_range', type: 'invalid_request_error' });
  });

  it('a body the adapter cannot read is a 400 naming the field, and the front door is never called', async () => {
    const relay = new EventsHandlerFake(EVENTS);
    const res = await chat(api(relay), { temperature: 'hot' });
    expect([res.status, res.json().error.param, relay.calls.length]).toEqual([400, 'temperature', 0]);
  });

  it('a failure mid-stream is an error event in the stream, with no [DONE]', async () => {
    const failure = RelayError.unavailable(UnavailableReason.ENGINE_FAILED, 'SLM engine failed: boom');
    const res = await chat(api(new EventsHandlerFake(EVENTS.slice(0, 1), failure)), { stream: true });
    const events = res.events();
    expect(events[events.length - 1]).toMatchObject({ error: { message: 'SLM engine failed: boom', code: 'engine_failed' } });
    expect(events).not.toContain('[DONE]');
    expect([res.status, res.ended]).toEqual([200, true]);
  });

  it('a client that disconnects mid-stream aborts the generation (CLIENT_CANCELLED) and gets nothing more', async () => {
    const relay = new EventsHandlerFake(EVENTS);
    const res = new HttpResponderSpy();
    res.onWrite = (chunk) => {
      if (chunk.includes('"content":"a"')) res.disconnect();
    };
    await chat(api(relay), { stream: true }, {}, res);
    const reason = relay.calls[0].signal.reason;
    expect(isRelayError(reason) && reason.reason).toBe('CLIENT_CANCELLED');
    expect(res.body).not.toContain('"content":"b"');
    expect(relay.closed).toBe(1);
  });

  it('a forced shutdown ends the streams in flight with SERVER_SHUTDOWN', async () => {
    const relay = new EventsHandlerFake(EVENTS);
    const target = api(relay);
    const res = new HttpResponderSpy();
    res.onWrite = (chunk) => {
      if (chunk.includes('"content":"a"')) target.abortAll();
    };
    await chat(target, { stream: true }, {}, res);
    expect(res.events().pop()).toMatchObject({ error: { relay_reason: 'SERVER_SHUTDOWN' } });
    expect(target.activeGenerations).toBe(0);
  });

  it('an unexpected error is a bare 500; the error goes to onError only', async () => {
    const seen: HttpErrorContext[] = [];
    const res = await chat(api(new EventsHandlerFake([], new TypeError('x is undefined')), { onError: (_e, context) => seen.push(context) }), {});
    expect([res.status, res.json().error.message]).toEqual([500, 'internal error']);
    expect(seen).toEqual([{ route: '/v1/chat/completions', requestId: 'gen-1', expected: false }]);
  });

  it('completions take the prompt as raw input', async () => {
    const relay = new EventsHandlerFake(EVENTS);
    const res = await call(api(relay), { path: '/v1/completions', body: { model: 'relayllm', prompt: 'Q:' } });
    expect(res.json()).toMatchObject({ id: 'cmpl-gen-1', object: 'text_completion', choices: [{ text: 'ab' }] });
    expect(relay.calls[0].request).toMatchObject({ prompt: 'Q:', input: { kind: 'raw' } });
  });
});

describe('RelayHttpApi: n choices', () => {
  const choiceText = (request: { generationId: string }) => request.generationId.slice(-1);
  const answering = () =>
    EventsHandlerFake.scripted((request) => ({ events: [{ type: 'text', source: 'SLM', text: choiceText(request), tokenCount: 1 }, { ...COMPLETED, text: choiceText(request) }] }));

  it('whole: one generation per choice, each with its own id and seed, answered as choices 0..n-1 with summed usage', async () => {
    const relay = answering();
    const body = (await chat(api(relay), { n: 3, seed: 10, temperature: 0.8 })).json();
    expect(relay.calls.map((c) => [c.request.generationId, c.request.sampling?.seed])).toEqual([['gen-1-0', 10], ['gen-1-1', 11], ['gen-1-2', 12]]);
    expect(body.choices.map((c: { index: number; message: { content: string } }) => [c.index, c.message.content])).toEqual([[0, '0'], [1, '1'], [2, '2']]);
    expect(body.usage).toMatchObject({ completion_tokens: 6, relay: { slm_tokens: 6, calls: 0 } });
    expect(body.usage.relay.choices).toHaveLength(3);
  });

  it('streamed: each choice\'s chunks under its index, a finish for each, one usage chunk at the end, then [DONE]', async () => {
    const res = await chat(api(answering()), { n: 2, stream: true, stream_options: { include_usage: true } });
    const events = res.events();
    expect(events.pop()).toBe('[DONE]');
    const usage = events.pop();
    expect([usage.choices, usage.usage.completion_tokens]).toEqual([[], 4]);
    const byChoice = (index: number) => events.filter((e) => e.choices[0].index === index).map((e) => e.choices[0].delta.content ?? e.choices[0].finish_reason);
    expect([byChoice(0), byChoice(1)]).toEqual([['', '0', 'stop'], ['', '1', 'stop']]);
  });

  it('one choice failing fails the request and stops the others', async () => {
    const failure = RelayError.unavailable(UnavailableReason.ENGINE_FAILED, 'LLM engine failed: boom');
    const relay = EventsHandlerFake.scripted((request) => (choiceText(request) === '1' ? { events: [], failWith: failure } : { events: EVENTS.slice(0, 1), untilAborted: true }));
    const res = await chat(api(relay), { n: 2 });
    expect([res.status, res.json().error.relay_reason]).toEqual([503, 'ENGINE_FAILED']);
    expect(relay.calls[0].signal.aborted).toBe(true);
    expect(relay.closed).toBe(2);
  });

  it('a completions batch: each prompt\'s n choices in turn, each prompt\'s generations given that prompt, streamed under their indexes', async () => {
    const echoing = EventsHandlerFake.scripted((request) => ({ events: [{ ...COMPLETED, text: `${request.prompt}/${choiceText(request)}`, usage: { ...COMPLETED.usage, promptTokens: request.prompt.length } }] }));
    const batch = { model: 'relayllm', prompt: ['x', 'yy'], n: 2 };
    const body = (await call(api(echoing), { path: '/v1/completions', body: batch })).json();
    expect(echoing.calls.map((c) => [c.request.generationId, c.request.prompt])).toEqual([['gen-1-0', 'x'], ['gen-1-1', 'x'], ['gen-1-2', 'yy'], ['gen-1-3', 'yy']]);
    expect(body.choices.map((c: { index: number; text: string }) => [c.index, c.text])).toEqual([[0, 'x/0'], [1, 'x/1'], [2, 'yy/2'], [3, 'yy/3']]);
    expect(body.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 8 });
    const streamed = await call(api(echoing), { path: '/v1/completions', body: { ...batch, stream: true, stream_options: { include_usage: true } } });
    const events = streamed.events();
    expect(events.pop()).toBe('[DONE]');
    expect(events.pop().usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 8 });
    const finished = events.filter((e) => e.choices[0].finish_reason === 'stop').map((e) => e.choices[0].index);
    expect(finished.sort()).toEqual([0, 1, 2, 3]);
  });

  it('a batch asking for more than 8 choices is refused before any generation starts, naming prompt', async () => {
    const relay = answering();
    const res = await call(api(relay), { path: '/v1/completions', body: { model: 'relayllm', prompt: ['a', 'b', 'c'], n: 3 } });
    expect([res.status, res.json().error.param, relay.calls.length]).toEqual([400, 'prompt', 0]);
  });

  it('a client that leaves stops every choice', async () => {
    const relay = EventsHandlerFake.scripted(() => ({ events: EVENTS.slice(0, 1), untilAborted: true }));
    const res = new HttpResponderSpy();
    res.onWrite = (chunk) => {
      if (chunk.includes('"content":"a"')) res.disconnect();
    };
    await chat(api(relay), { n: 2, stream: true }, {}, res);
    expect(relay.calls.map((c) => c.signal.aborted)).toEqual([true, true]);
    expect(relay.closed).toBe(2);
  });
});

describe('RelayHttpApi: keys, models, health, routes', () => {
  it('with API keys: no key or a wrong one is a 401 before anything runs; the right one names its tenant', async () => {
    const relay = new EventsHandlerFake(EVENTS);
    const target = api(relay, { apiKeys: KEYS });
    const missing = await chat(target, {});
    expect([missing.status, missing.headers['www-authenticate'], missing.json().error.code, missing.json().error.relay_reason]).toEqual([401, 'Bearer', 'invalid_api_key', 'API_KEY_MISSING']);
    expect((await chat(target, {}, { authorization: 'Bearer sk-wrong' })).json().error.relay_reason).toBe('API_KEY_INVALID');
    expect(relay.calls).toHaveLength(0);
    expect((await chat(target, {}, { authorization: 'Bearer sk-right-key-0123456789' })).status).toBe(200);
    expect((await chat(target, {}, { 'x-api-key': 'sk-right-key-0123456789' })).status).toBe(200);
    expect(relay.calls.map((c) => c.caller.apiKeyId)).toEqual(['team-a', 'team-a']);
    expect((await call(target, { method: 'GET', path: '/v1/models' })).status).toBe(401);
    expect((await call(target, { method: 'GET', path: '/health' })).status).toBe(200);
    expect((await call(target, { method: 'GET', path: '/' })).status).toBe(200);
  });

  it('lists the pair as one model with the relayllm details', async () => {
    const target = api(new EventsHandlerFake([]));
    const list = (await call(target, { method: 'GET', path: '/v1/models' })).json();
    expect(list).toEqual({ object: 'list', data: [expect.objectContaining({ id: 'relayllm', object: 'model', owned_by: 'relayllm', max_model_len: 512 })] });
    expect(list.data[0].relayllm).toEqual({
      policies: ['relay', 'slm_only', 'llm_only'],
      context_length: 512,
      ids_travel: true,
      slm: expect.objectContaining({ name: 'reference slm.gguf', command_syntax: 'token', context_length: 512 }),
      llm: expect.objectContaining({ name: 'reference llm.gguf' }),
    });
    expect((await call(target, { method: 'GET', path: '/v1/models/relayllm' })).json().id).toBe('relayllm');
    expect((await call(target, { method: 'GET', path: '/v1/models/gpt-4o' })).json().error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('models not yet known are a 503 (the host says why)', async () => {
    const notYet = RelayError.unavailable(UnavailableReason.MODELS_NOT_DESCRIBED, 'no SLM worker has described its model yet');
    const res = await call(api(new EventsHandlerFake([]), { models: () => Promise.reject(notYet) }), { method: 'GET', path: '/v1/models' });
    expect([res.status, res.json().error.relay_reason]).toEqual([503, 'MODELS_NOT_DESCRIBED']);
  });

  it('health is 200 while serving and 503 once the host stops serving', async () => {
    const target = api(new EventsHandlerFake([]));
    expect((await call(target, { method: 'GET', path: '/health' })).json()).toEqual({ status: 'serving', generations: 0 });
    target.stopServing();
    expect((await call(target, { method: 'GET', path: '/health' })).status).toBe(503);
  });

  it('an unknown route is a 404 in OpenAI shape', async () => {
    const res = await call(api(new EventsHandlerFake([])), { method: 'GET', path: '/v1/embeddings' });
    expect([res.status, res.json().error.relay_reason]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });
});
