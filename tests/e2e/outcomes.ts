/**
 * The two sides the end-to-end tests compare: the embedded one-process relay
 * (apps/relayllm) and the cluster's public gRPC API.
 */
import { toGenerateResponse, type RelayClient } from '@relayllm/grpc-api';
import type { RelayStreamEvent } from '@relayllm/relay-core';
import { referenceModelDir } from '@relayllm/testing';
import { startEmbeddedEngines, type EmbeddedEngines } from '../../apps/relayllm/src/app/embedded-engines';
import { createEmbeddedRelay } from '../../apps/relayllm/src/app/embedded-host';
import { mapConcurrent } from './prompts';

/** What must match: the answer, why it ended (wire enum) and the LLM calls made. */
export interface Outcome {
  text: string;
  finishReason: number;
  calls: number;
}

/** The embedded mode's answers (apps/relayllm createEmbeddedRelay), one sequence, one generation at a time. */
export async function embeddedOutcomes(prompts: string[], maxTokens: number[]): Promise<Outcome[]> {
  let engines: EmbeddedEngines | undefined;
  try {
    engines = await startEmbeddedEngines({ modelsDir: referenceModelDir(), threads: 1, sequences: 1, gpu: 'off' });
    const relay = createEmbeddedRelay(engines, { maxTokensLimit: 2048, requestTimeoutMs: 120_000, defaultMaxTurns: 5, defaultConfidenceFloor: 0 });
    return await mapConcurrent(prompts, 1, async (prompt, i) => {
      let completed: Extract<RelayStreamEvent, { type: 'completed' }> | undefined;
      const request = { generationId: `embedded-${i}`, prompt, maxTokens: maxTokens[i], sampling: { temperature: 0 } };
      for await (const event of relay.generate(request, new AbortController().signal, { protocol: 'cli' })) {
        if (event.type === 'completed') completed = event;
      }
      if (completed === undefined) throw new Error(`no completion for prompt ${i}`);
      const wire = toGenerateResponse(completed, request.generationId);
      return { text: wire.text, finishReason: wire.finishReason, calls: wire.usage?.calls ?? 0 };
    });
  } finally {
    await engines?.close();
  }
}

/** The cluster's answers through its public gRPC API; `afterEach(done)` after every completed generation (fault injection). */
export async function clusterOutcomes(
  client: RelayClient,
  prompts: string[],
  runId: string,
  afterEach: ((done: number) => void) | undefined,
  concurrency: number,
  maxTokens: number,
): Promise<Outcome[]> {
  let done = 0;
  return mapConcurrent(prompts, concurrency, async (prompt, i) => {
    const response = await client.generate({ prompt, maxTokens, temperature: 0, requestId: `${runId}-${i}` }, { timeoutMs: 120_000 });
    afterEach?.(++done);
    return {
      text: response.text,
      finishReason: response.finishReason,
      calls: response.usage?.calls ?? 0,
    };
  });
}

