/**
 * End to end: the cluster's OpenAI-compatible HTTP port (the orchestrator on
 * NestJS's Fastify adapter) driven by a client nobody here wrote, the
 * official `openai` npm package, against real worker processes on the
 * reference models, with API keys configured as in production: the same
 * answer as the gRPC port (one front door), relay usage, streaming with
 * include_usage, a confidence floor served through the workers, a 401 and a
 * 400 naming its param, and an aborted stream
 * that the front door sees cancelled (the `protocol` label of /metrics) and
 * that leaves every worker idle.
 */
import { Metadata } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import { REFERENCE_DEMO_PROMPT } from '@relayllm/http-api';
import { sampleValue } from '@relayllm/observability';
import { RESUME_PROMPT, startLocalCluster, until, startLocalServices, type LocalClusterHandle, type LocalServicesHandle } from '@relayllm/testing';
import { busySequencesAfter } from './cluster-probes';

jest.setTimeout(300_000);

const KEY = 'sk-relayllm-e2e-key-0123456789';
/** Makes the reference student call the teacher at temperature 0 (apps/relayllm's SAMPLE_PROMPT). */
const PROMPT = REFERENCE_DEMO_PROMPT;
const RELAYED = { model: 'relayllm', messages: [{ role: 'user' as const, content: PROMPT }], temperature: 0, max_tokens: 200 };

interface RelayUsage {
  slm_tokens: number;
  llm_tokens: number;
  calls: number;
  llm_token_ratio: number;
}
const relayOf = (usage: unknown): RelayUsage => (usage as { relay: RelayUsage }).relay;

/** A port the orchestrator's ready line prints (` http=<port>`, ` metrics=<port>`). */
function readyPort(cluster: LocalClusterHandle, name: 'http' | 'metrics'): number {
  const port = new RegExp(` ${name}=(\\d+)`).exec(cluster.orchestrator.ready.input ?? '')?.[1];
  if (port === undefined) throw new Error(`the orchestrator printed no ${name} port: ${cluster.orchestrator.ready.input}`);
  return Number(port);
}

describe('the cluster through its OpenAI-compatible HTTP port (official openai client, reference models)', () => {
  let services: LocalServicesHandle | undefined;
  let cluster: LocalClusterHandle | undefined;
  let grpc: RelayClient | undefined;
  let client: OpenAI;
  let baseURL: string;

  beforeAll(async () => {
    // Plain on purpose: this spec is about the HTTP front door; tests/e2e/secure-cluster covers the secured transport.
    services = await startLocalServices({ secure: false });
    cluster = await startLocalCluster({
      ...services.connection,
      slmWorkers: 1,
      llmWorkers: 1,
      orchestratorEnv: { RELAYLLM_ORCHESTRATOR_HTTP_PORT: '0', RELAYLLM_API_KEYS: `e2e:${KEY}`, RELAYLLM_METRICS_PORT: '0' },
    });
    baseURL = `http://127.0.0.1:${readyPort(cluster, 'http')}/v1`;
    client = new OpenAI({ baseURL, apiKey: KEY, maxRetries: 0 });
    grpc = createRelayClient(cluster.address);
  });

  afterAll(async () => {
    grpc?.close();
    await cluster?.stop(5_000);
    await services?.stop();
  });

  it('answers a chat completion with the relay usage and the prompt counted, as the gRPC port answers', async () => {
    const completion = await client.chat.completions.create(RELAYED);
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].finish_reason).toBe('stop');
    const relay = relayOf(completion.usage);
    expect(relay.calls).toBeGreaterThan(0);
    expect(relay.llm_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBe(relay.slm_tokens + relay.llm_tokens);
    // The reference format: <s> + the question + "\n", one id per byte.
    expect(completion.usage?.prompt_tokens).toBe(1 + Buffer.byteLength(`${PROMPT}\n`));
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${KEY}`);
    const viaGrpc = await (grpc as RelayClient).generate({ prompt: PROMPT, maxTokens: 200, temperature: 0 }, { timeoutMs: 60_000, metadata });
    expect(completion.choices[0].message.content).toBe(viaGrpc.text);
    expect(relay.calls).toBe(viaGrpc.usage?.calls);
  });

  it('serves a confidence floor through the cluster (SLM worker probabilities, LLM pool): the gRPC port gives the same calls', async () => {
    const floor = { threshold: 0.999, call_tokens: 3 };
    const completion = await client.chat.completions.create({ ...RELAYED, confidence_floor: floor } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const records = (relayOf(completion.usage) as unknown as { call_records: Array<{ confidence_floor: boolean; requested_n: number }> }).call_records;
    expect(records.filter((c) => c.confidence_floor).map((c) => c.requested_n)).toEqual(expect.arrayContaining([3]));
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${KEY}`);
    const viaGrpc = await (grpc as RelayClient).generate(
      { prompt: PROMPT, maxTokens: 200, temperature: 0, confidenceFloor: { threshold: 0.999, callTokens: 3 } },
      { timeoutMs: 60_000, metadata },
    );
    expect(completion.choices[0].message.content).toBe(viaGrpc.text);
    expect(viaGrpc.callRecords.map((c) => [c.confidenceFloor, c.requestedN])).toEqual(records.map((c) => [c.confidence_floor, c.requested_n]));
  });

  it('streams the same answer, LLM deltas marked, the usage in the last chunk (include_usage)', async () => {
    const whole = await client.chat.completions.create(RELAYED);
    const stream = await client.chat.completions.create({ ...RELAYED, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let llmText = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      const delta = chunk.choices[0]?.delta as { content?: string; relay?: { source?: string } } | undefined;
      text += delta?.content ?? '';
      if (delta?.relay?.source === 'llm') llmText += delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0].message.content);
    expect(llmText.length).toBeGreaterThan(0);
    expect(text).toContain(llmText);
    expect(chunks).toBeGreaterThan(3);
    expect(relayOf(usage)).toMatchObject({ slm_tokens: relayOf(whole.usage).slm_tokens, llm_tokens: relayOf(whole.usage).llm_tokens, calls: relayOf(whole.usage).calls });
  });

  it('completions and the models list', async () => {
    const completion = await client.completions.create({ model: 'relayllm', prompt: `${PROMPT}\n`, temperature: 0, max_tokens: 200 });
    expect(completion.choices[0].text).toBe((await client.chat.completions.create(RELAYED)).choices[0].message.content);
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models.map((m) => m.id)).toEqual(['relayllm']);
    expect((models[0] as unknown as { relayllm: { slm: { command_syntax: string } } }).relayllm.slm.command_syntax).toBe('token');
  });

  it('a wrong key is a 401 (the gRPC port keys), a bad value a 400 whose param names the field', async () => {
    const wrong = new OpenAI({ baseURL, apiKey: 'sk-wrong-key', maxRetries: 0 });
    await expect(wrong.chat.completions.create(RELAYED)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    const error = await client.chat.completions.create({ ...RELAYED, temperature: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'temperature', code: 'temperature_range' });
    const limits = await client.chat.completions.create({ ...RELAYED, relay_limits: { max_turns: 0 } } as never).catch((e: unknown) => e);
    expect(limits).toMatchObject({ status: 400, param: 'relay_limits.max_turns' });
  });

  it('a stream the client aborts mid-way is cancelled at the front door (protocol http in /metrics) and leaves both workers idle', async () => {
    const metrics = `http://127.0.0.1:${readyPort(cluster as LocalClusterHandle, 'metrics')}/metrics`;
    const generations = async (outcome: string, protocol: string): Promise<number> =>
      sampleValue(await (await fetch(metrics)).text(), 'relayllm_generations_total', { outcome, protocol }) ?? 0;
    const cancelledBefore = await generations('cancelled', 'http');
    const stream = await client.chat.completions.create({ ...RELAYED, max_tokens: 480, stream: true, messages: [{ role: 'user', content: RESUME_PROMPT }] });
    let chunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) chunks += 1;
      if (chunks === 3) break; // leaving the loop aborts the request
    }
    const cut = Date.now();
    expect(chunks).toBe(3);
    await until(async () => (await generations('cancelled', 'http')) !== cancelledBefore, 'the cancelled generation in the metrics', 5_000);
    expect(await generations('cancelled', 'http')).toBe(cancelledBefore + 1);
    // The earlier cases: six HTTP generations and the two gRPC generations, each under its protocol.
    const finished = async (protocol: string): Promise<number> =>
      (await Promise.all(['eos', 'llm_eos', 'length', 'stop'].map((outcome) => generations(outcome, protocol)))).reduce((a, b) => a + b, 0);
    expect(await finished('http')).toBe(6);
    expect(await finished('grpc')).toBe(2);
    // The floor case's calls, counted by origin on each port.
    const exposition = await (await fetch(metrics)).text();
    for (const protocol of ['http', 'grpc']) expect(sampleValue(exposition, 'relayllm_calls_total', { origin: 'floor', protocol })).toBeGreaterThan(0);
    expect(await busySequencesAfter((services as LocalServicesHandle).nats.url, 2, cut, 10_000)).toEqual([]);
  });
});
