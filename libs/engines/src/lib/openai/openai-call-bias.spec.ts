import { RelayError } from '@relayllm/relay-core';
import { request } from '../../testing/engine-spec-helpers';
import { OpenAiCompletionsEngine } from './openai-completions-engine';

describe('OpenAiCompletionsEngine and callBias', () => {
  it('refuses a non-zero callBias before sending anything (the server vocabulary is unknown, logit_bias cannot name the token)', async () => {
    const sent: string[] = [];
    const fetchRecorder = (async (url: string | URL | Request) => {
      sent.push(String(url));
      throw new Error('no server in a unit spec');
    }) as typeof fetch;
    const engine = new OpenAiCompletionsEngine({ baseUrl: 'http://127.0.0.1:9', model: 'slm', fetch: fetchRecorder });
    const stream = engine.generate(request('g/slm', [65], { context: { text: 'A' }, callBias: 2 }), new AbortController().signal);
    let error: unknown;
    try {
      for await (const chunk of stream) void chunk;
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ kind: 'failed_precondition', reason: 'CALL_BIAS_UNSUPPORTED', field: 'callBias' });
    expect(sent).toEqual([]);
  });

  it('sends an unbiased request (no callBias, or 0) as before', async () => {
    const sent: string[] = [];
    const fetchRecorder = (async (url: string | URL | Request) => {
      sent.push(String(url));
      throw new Error('no server in a unit spec');
    }) as typeof fetch;
    const engine = new OpenAiCompletionsEngine({ baseUrl: 'http://127.0.0.1:9', model: 'slm', fetch: fetchRecorder });
    for (const callBias of [undefined, 0]) {
      const stream = engine.generate(request('g/slm', [65], { context: { text: 'A' }, callBias }), new AbortController().signal);
      await expect((async () => {
        for await (const chunk of stream) void chunk;
      })()).rejects.toMatchObject({ reason: 'UPSTREAM_UNREACHABLE' });
    }
    expect(sent).toEqual(['http://127.0.0.1:9/v1/completions', 'http://127.0.0.1:9/v1/completions']);
  });
});
