import { workerEngineSpec } from '@relayllm/app-kit';
import { createEngine, OpenAiCompletionsEngine } from '@relayllm/engines';
import { FakeVllmServer } from '@relayllm/engines/testing';
import { replyToChunks } from '@relayllm/nats-transport';
import { LlmGenerateRequest } from '@relayllm/proto';
import { loadLlmWorkerConfig } from './config';
import { LlmWorkerService } from './llm-worker.service';

describe('the LLM worker on an OpenAI-compatible server (RELAYLLM_LLM_ENGINE=openai)', () => {
  it('openai: text-only relays through an OpenAI-compatible server, one token text per delta', async () => {
    const server = await FakeVllmServer.start('llm');
    try {
      const config = loadLlmWorkerConfig({ RELAYLLM_LLM_ENGINE: 'openai', RELAYLLM_LLM_OPENAI_BASE_URL: server.url, RELAYLLM_LLM_OPENAI_MODEL: 'teacher-7b' });
      const engine = createEngine(workerEngineSpec(config));
      expect(engine).toBeInstanceOf(OpenAiCompletionsEngine);
      await engine.start();
      server.script({ tokens: ['=17', '76', '\n', 'more'] });
      const service = new LlmWorkerService(engine, { workerId: 'w', model: 'llm', maxSequences: 1 });
      const reply = await service.generate(LlmGenerateRequest.fromPartial({ model: 'llm', attempt: 1, request: { sequenceId: 'g/llm', contextText: 'Compute 37*48.\n37*48', maxTokens: 3 } }));
      expect(reply.error).toBeUndefined();
      expect(server.requests[0]?.body).toMatchObject({ model: 'teacher-7b', prompt: 'Compute 37*48.\n37*48', max_tokens: 3 });
      expect(replyToChunks(reply)).toEqual([
        { tokens: [], text: '=17', tokenCount: 1 },
        { tokens: [], text: '76', tokenCount: 1 },
        { tokens: [], text: '\n', tokenCount: 1, finish: 'length' },
      ]);
      await engine.close();
    } finally {
      await server.close();
    }
  });
});
