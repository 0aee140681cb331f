import { createRelayClient, relayErrorFromServiceError } from '@relayllm/grpc-api';
import { REFERENCE_DEMO_PROMPT } from '@relayllm/http-api';
import { finishReasonToJSON, Policy, Source } from '@relayllm/proto';
import type { RelayllmConfig } from '../app/config';
import { markStyleFor, SpanMarker, usageLine } from '../app/render';
import { log, type CliIo } from './io';

/**
 * The question `npm start` asks at startup: the reference pair's demo question, one that the student
 * gets wrong alone and right when it relays. It lives in libs/http-api (REFERENCE_DEMO_PROMPT, where
 * why it was picked is written) because the playground offers it first: one text for both.
 */
export const SAMPLE_PROMPT = REFERENCE_DEMO_PROMPT;

/**
 * One relay generation through the real gRPC API of the server that just
 * started (GenerateStream over loopback, as any client would), printed like
 * `relayllm generate`. A failure is reported and the server keeps serving.
 */
export async function runDemo(address: string, config: RelayllmConfig, io: CliIo, signal: AbortSignal): Promise<void> {
  const client = createRelayClient(address);
  try {
    await client.waitForReady();
    log(io, `sample relay generation through gRPC ${address} (GenerateStream, temperature 0):`);
    io.stdout.write(`> ${SAMPLE_PROMPT}\n`);
    const marker = new SpanMarker(markStyleFor(io.stdout));
    const stream = client.generateStream(
      { prompt: SAMPLE_PROMPT, maxTokens: config.defaultMaxTokens, temperature: 0, policy: Policy.POLICY_RELAY },
      { signal },
    );
    let answer = '';
    for await (const { event } of stream) {
      let out = '';
      if (event?.$case === 'text') out = marker.text(event.value.source === Source.SOURCE_LLM ? 'LLM' : 'SLM', event.value.text);
      else if (event?.$case === 'relayFinished') out = marker.callEnded();
      else if (event?.$case === 'completed') {
        out = marker.end();
        const finish = finishReasonToJSON(event.value.finishReason).replace(/^FINISH_REASON_/, '').toLowerCase();
        const usage = event.value.usage ?? { slmTokens: 0, llmTokens: 0, calls: 0, llmTokenRatio: 0 };
        io.stdout.write(`${out}${(answer + out).endsWith('\n') ? '' : '\n'}${usageLine(usage, finish)}\n`);
        return;
      }
      answer += out;
      io.stdout.write(out);
    }
  } catch (error) {
    if (signal.aborted) return;
    const relayError = isServiceError(error) ? relayErrorFromServiceError(error) : error;
    log(io, `the sample generation failed: ${relayError instanceof Error ? relayError.message : String(relayError)}`);
  } finally {
    client.close();
  }
}

function isServiceError(error: unknown): error is Parameters<typeof relayErrorFromServiceError>[0] {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}
