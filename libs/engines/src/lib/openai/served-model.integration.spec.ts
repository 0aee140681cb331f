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

  it('an unreachable server is unavailable', async () => {
    const url = server.url;
    await server.close();
    server = await FakeVllmServer.start();
    await expect(new OpenAiCompletionsEngine({ baseUrl: url, model: 'm' }).describe()).rejects.toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_UNREACHABLE' });
  });
});
