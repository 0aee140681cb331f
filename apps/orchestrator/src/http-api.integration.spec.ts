import 'reflect-metadata';
import { request as httpsRequest } from 'node:https';
import { REFERENCE_PLAYGROUND_EXAMPLES } from '@relayllm/http-api';
import { referenceModels, type RelayModels } from '@relayllm/relay-core';
import { generateTestCertificates, until, type TestCertificates } from '@relayllm/testing';
import { loadConfig, loadSecurityConfig } from './app/config';
import { RelayHttpHost } from './app/relay-http.host';
import { bootOrchestrator, type BootedOrchestrator } from './testing/boot-orchestrator';
import { ScriptedBackends } from './testing/scripted-backends.fake';

/**
 * The orchestrator's HTTP port (NestJS on the Fastify adapter, libs/http-api's
 * plugin) over scripted backends: the same front door as gRPC, /v1/models from
 * the described pair, Nest's not-found route in OpenAI's shape, the body
 * limit, the gRPC port's API keys and TLS, the drain on shutdown. The official
 * `openai` client on real workers: tests/e2e/openai-http.e2e.spec.ts.
 */

const KEY = 'spec-key-0123456789abcdef';
const CHAT = { model: 'relayllm', messages: [{ role: 'user', content: 'Q' }], max_tokens: 40, temperature: 0 };

async function boot(backends: ScriptedBackends, env: Record<string, string> = {}): Promise<BootedOrchestrator & { origin: string }> {
  const config = loadConfig({ RELAYLLM_ORCHESTRATOR_PORT: '0', RELAYLLM_ORCHESTRATOR_HTTP_PORT: '0', RELAYLLM_REDIS_URL: 'off', ...env });
  const booted = await bootOrchestrator(config, backends, loadSecurityConfig(env, config.natsUrl).api);
  return { ...booted, origin: `http://127.0.0.1:${booted.httpPort}` };
}

/** A response body as JSON (OpenAI's shapes, read loosely here). */
async function json(response: Response): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return response.json();
}

const post = (origin: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('orchestrator HTTP API (Nest + Fastify adapter, scripted backends)', () => {
  let booted: (BootedOrchestrator & { origin: string }) | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  it('off unless configured: no HTTP port, no HTTP host', async () => {
    const config = loadConfig({ RELAYLLM_ORCHESTRATOR_PORT: '0', RELAYLLM_REDIS_URL: 'off' });
    const plain = await bootOrchestrator(config, new ScriptedBackends([], []));
    try {
      expect(plain.httpPort).toBeUndefined();
      expect(() => plain.app.get(RelayHttpHost)).toThrow();
    } finally {
      await plain.app.close();
    }
  });

  it('answers a chat completion through the front door: relay usage, the prompt counted, a retried x-request-id replayed', async () => {
    const backends = new ScriptedBackends(['ab<call>2</call>', 'c</s>', 'unused</s>'], ['XY']);
    booted = await boot(backends);
    const response = await post(booted.origin, '/v1/chat/completions', CHAT, { 'x-request-id': 'h1' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.choices[0].message.content).toBe('abXYc');
    // <s> + "Q" + "\n": the reference format computes the ids, so the front door counts them.
    expect(body.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: body.usage.relay.slm_tokens + 2, relay: { calls: 1, llm_tokens: 2 } });
    expect(backends.slm.requests[0].context.text).toBe('Q\n');
    // A retried x-request-id replays the stored result (the front door's generation state): the models do not run again.
    const retried = await json(await post(booted.origin, '/v1/chat/completions', CHAT, { 'x-request-id': 'h1' }));
    expect(retried.choices[0].message.content).toBe('abXYc');
    expect(backends.slm.requests).toHaveLength(2);
  });

  it('/v1/models: 503 MODELS_NOT_DESCRIBED until the workers described the pair, then the served pair; /health and / open', async () => {
    const backends = new ScriptedBackends([], []);
    let describe!: (models: RelayModels) => void;
    backends.models = new Promise((resolve) => (describe = resolve));
    booted = await boot(backends, { RELAYLLM_ORCHESTRATOR_CONTEXT_SIZE: '256' });
    const before = await fetch(`${booted.origin}/v1/models`);
    expect(before.status).toBe(503);
    expect(before.headers.get('retry-after')).toBe('1');
    expect((await json(before)).error).toMatchObject({ type: 'service_unavailable', relay_reason: 'MODELS_NOT_DESCRIBED' });
    describe(referenceModels());
    await new Promise((resolve) => setImmediate(resolve)); // the front door is built when the description promise settles
    const after = await json(await fetch(`${booted.origin}/v1/models`));
    expect(after.data[0]).toMatchObject({ id: 'relayllm', max_model_len: 256, relayllm: { slm: { command_syntax: 'token' } } });
    expect((await fetch(`${booted.origin}/health`)).status).toBe(200);
    const page = await fetch(`${booted.origin}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain(REFERENCE_PLAYGROUND_EXAMPLES[0]);
  });

  it("unknown routes, bodies that are not JSON and bodies over the limit get OpenAI's error shape", async () => {
    booted = await boot(new ScriptedBackends([], []));
    const missing = await fetch(`${booted.origin}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ type: 'invalid_request_error', relay_reason: 'ROUTE_NOT_FOUND' });
    const notJson = await post(booted.origin, '/v1/chat/completions', '{"model":');
    expect(notJson.status).toBe(400);
    expect((await json(notJson)).error.relay_reason).toBe('REQUEST_BODY_INVALID');
    const huge = await post(booted.origin, '/v1/chat/completions', { ...CHAT, messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] });
    expect(huge.status).toBe(413);
    expect((await json(huge)).error.type).toBe('invalid_request_error');
    const bad = await post(booted.origin, '/v1/chat/completions', { ...CHAT, temperature: 3 });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ param: 'temperature', code: 'temperature_range' });
  });

  it("the gRPC port's API keys: none or a wrong one is a 401, the key opens /v1; /health stays open", async () => {
    booted = await boot(new ScriptedBackends(['a</s>'], []), { RELAYLLM_API_KEYS: `spec:${KEY}` });
    const none = await post(booted.origin, '/v1/chat/completions', CHAT);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(booted.origin, '/v1/chat/completions', CHAT, { authorization: 'Bearer wrong-key-0123456789' })).status).toBe(401);
    expect((await post(booted.origin, '/v1/chat/completions', CHAT, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await fetch(`${booted.origin}/health`)).status).toBe(200);
  });

  it('shutdown: a generation still running after the grace gets 503 SERVER_SHUTDOWN; the backends close only after the HTTP port drained', async () => {
    const backends = new ScriptedBackends(['a</s>'], []);
    backends.gate = new Promise(() => undefined); // the SLM never starts: the generation outlives the grace
    booted = await boot(backends, { RELAYLLM_ORCHESTRATOR_SHUTDOWN_GRACE_MS: '200' });
    const api = booted.app.get(RelayHttpHost).api;
    const generationsAtClose: number[] = [];
    const closeBackends = backends.close.bind(backends);
    backends.close = () => {
      generationsAtClose.push(api.activeGenerations);
      return closeBackends();
    };
    const running = post(booted.origin, '/v1/chat/completions', { ...CHAT, stream: true });
    await until(() => api.activeGenerations >= 1, 'the generation to be active', 2_000);
    expect(api.activeGenerations).toBe(1);
    const closing = booted.app.close();
    booted = undefined;
    const response = await running;
    expect(response.status).toBe(503);
    expect((await json(response)).error.relay_reason).toBe('SERVER_SHUTDOWN');
    await closing;
    expect(generationsAtClose).toEqual([0]);
  });
});

describe('orchestrator HTTP API with the API TLS settings', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = generateTestCertificates();
  });
  afterAll(() => certs.remove());

  it('serves HTTPS with the gRPC port certificate, and asks for a client certificate under mTLS', async () => {
    const get = (port: number, client?: { cert: Buffer; key: Buffer }) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/health', ca: certs.read(certs.caCert), servername: 'localhost', ...client }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    const tls = { RELAYLLM_API_TLS_CERT_FILE: certs.serverCert, RELAYLLM_API_TLS_KEY_FILE: certs.serverKey };
    const server = await boot(new ScriptedBackends([], []), tls);
    try {
      expect(await get(server.httpPort as number)).toBe(200);
      await expect(fetch(`http://127.0.0.1:${server.httpPort}/health`)).rejects.toThrow();
    } finally {
      await server.app.close();
    }
    const mutual = await boot(new ScriptedBackends([], []), { ...tls, RELAYLLM_API_TLS_CLIENT_AUTH: 'require', RELAYLLM_API_TLS_CLIENT_CA_FILE: certs.caCert });
    try {
      await expect(get(mutual.httpPort as number)).rejects.toThrow();
      expect(await get(mutual.httpPort as number, { cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) })).toBe(200);
    } finally {
      await mutual.app.close();
    }
  });
});
