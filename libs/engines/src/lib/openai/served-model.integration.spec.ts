import { FakeVllmServer } from '../../testing/vllm-server.fake';
import { OpenAiCompletionsEngine } from './openai-completions-engine';

/** OpenAiCompletionsEngine.describe() against a fake vLLM's GET /v1/models. */
describe('OpenAiCompletionsEngine.describe()', () => {
  let server: FakeVllmServer;
  beforeEach(async () => {
    server = await FakeVllmServer.start('Qwen/Qwen3-8B');
  });
  afterEach(async () => {
    await server.close();
  });

  const engine = (over: Partial<ConstructorParameters<typeof OpenAiCompletionsEngine>[0]> = {}) =>
    new OpenAiCompletionsEngine({ baseUrl: server.url, model: 'Qwen/Qwen3-8B', ...over });

  it("the model id and vLLM's max_model_len; commands as text, no tokenizer; the operator's chat template", async () => {
    server.maxModelLen = 40_960;
    const chatTemplate = { template: '{{ messages[0].content }}', origin: 'qwen3/tokenizer_config.json' };
    const description = await engine({ chatTemplate }).describe();
    expect(description).toEqual({
      profile: {
        name: 'Qwen/Qwen3-8B',
        vocabularyId: `served:${server.url}#Qwen/Qwen3-8B`,
        commandSyntax: { kind: 'text' },
        endOfTurnIds: [],
        contextLength: 40_960,
      },
      chat: { kind: 'template', source: chatTemplate },
      tokenizer: undefined,
    });
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it('the smaller of the reported and the configured context length', async () => {
    server.maxModelLen = 40_960;
    expect((await engine({ contextLength: 8_192 }).describe()).profile.contextLength).toBe(8_192);
  });

  it('a server that does not report max_model_len needs the configured one', async () => {
    expect((await engine({ contextLength: 4_096 }).describe()).profile.contextLength).toBe(4_096);
    await expect(engine().describe()).rejects.toMatchObject({
      kind: 'invalid_argument',
      reason: 'MODEL_DESCRIPTION_INVALID',
      field: 'contextLength',
      message: expect.stringContaining('max_model_len'),
    });
  });

  it('a model the server does not serve is named, with what it serves', async () => {
    await expect(engine({ model: 'other' }).describe()).rejects.toMatchObject({
      reason: 'MODEL_DESCRIPTION_INVALID',
      field: 'model',
      message: expect.stringMatching(/does not serve model "other" \(it serves: Qwen\/Qwen3-8B\)/),
    });
  });

  it('no model named: start() takes the one model the server serves, and requests name it', async () => {
    server.maxModelLen = 2_048;
    const unnamed = engine({ model: '' });
    await unnamed.start();
    server.script({ tokens: ['x'] });
    expect((await unnamed.describe()).profile).toMatchObject({ name: 'Qwen/Qwen3-8B', contextLength: 2_048 });
    const texts: string[] = [];
    for await (const chunk of unnamed.generate(
      { sequenceId: 's', turn: 0, context: { text: 'hi' }, appendOnly: false, maxTokens: 1, sampling: {}, stopTokens: [], stop: [], bannedTokens: [] },
      new AbortController().signal,
    )) {
      texts.push(chunk.text);
    }
    expect(texts.join('')).toBe('x');
    expect(server.requests.find((r) => r.path === '/v1/completions')?.body).toMatchObject({ model: 'Qwen/Qwen3-8B' });
  });

  it('an unreachable server is unavailable', async () => {
    const url = server.url;
    await server.close();
    server = await FakeVllmServer.start();
    await expect(new OpenAiCompletionsEngine({ baseUrl: url, model: 'm' }).describe()).rejects.toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_UNREACHABLE' });
  });
});
