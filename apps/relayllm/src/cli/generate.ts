import { randomUUID } from 'node:crypto';
import { toGenerateResponse } from '@relayllm/grpc-api';
import {
  InternalReason,
  RelayError,
  serverLimitsFor,
  validateRelayRequest,
  type CompletedEvent,
  type RelayRequest,
  type RelayStreamEvent,
  type SamplingParams,
} from '@relayllm/relay-core';
import type { RelayllmConfig } from '../app/config';
import { startEmbeddedEngines } from '../app/embedded-engines';
import { createEmbeddedRelay } from '../app/embedded-host';
import { generateResponseJson } from '../app/proto-json';
import { markStyleFor, SpanMarker, usageLine } from '../app/render';
import type { GenerateArgs } from './args';
import type { CliIo } from './io';

/** --policy names -> core policies. Anything else goes through as typed and the core rejects it (UNKNOWN_POLICY). */
const POLICIES: Readonly<Record<string, string>> = { relay: 'RELAY', slm: 'SLM_ONLY', llm: 'LLM_ONLY' };

/** A numeric flag as given: garbage becomes NaN and is rejected by the core's validation, which names the field. */
const numberFlag = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));

export function generateRequest(args: GenerateArgs, config: Pick<RelayllmConfig, 'defaultMaxTokens'>): RelayRequest {
  const sampling: SamplingParams = {};
  const temperature = numberFlag(args.temperature);
  const seed = numberFlag(args.seed);
  if (temperature !== undefined) sampling.temperature = temperature;
  if (seed !== undefined) sampling.seed = seed;
  const request: RelayRequest = {
    generationId: randomUUID(),
    prompt: args.prompt,
    policy: POLICIES[args.policy.toLowerCase()] ?? args.policy,
    maxTokens: numberFlag(args.maxTokens) ?? config.defaultMaxTokens,
    sampling,
  };
  const maxTurns = numberFlag(args.maxTurns);
  if (maxTurns !== undefined) request.maxTurns = maxTurns;
  const callBias = numberFlag(args.callBias);
  if (callBias !== undefined) request.callBias = callBias;
  const threshold = numberFlag(args.confidenceFloor);
  const callTokens = numberFlag(args.floorTokens);
  if (threshold !== undefined) request.confidenceFloor = callTokens === undefined ? { threshold } : { threshold, callTokens };
  return request;
}

/**
 * `relayllm generate`: one generation on engines loaded in this process,
 * through the same front door the server uses. Exit code 0, or 130 when
 * interrupted (the partial answer is still printed).
 */
export async function runGenerate(args: GenerateArgs, config: RelayllmConfig, io: CliIo, signal: AbortSignal): Promise<number> {
  const request = generateRequest(args, config);
  // Fail fast on bad flags, before loading the models; the front door checks again with the
  // SLM's own command syntax and the context size (a CLI request carries no prompt ids to check).
  validateRelayRequest(request, { kind: 'text' }, serverLimitsFor(config));
  const engines = await startEmbeddedEngines(config);
  try {
    const events = createEmbeddedRelay(engines, config).generate(request, signal, { protocol: 'cli' });
    if (args.json) {
      const completed = await completion(events);
      const response = toGenerateResponse(completed, request.generationId);
      io.stdout.write(`${JSON.stringify(generateResponseJson(response), null, 2)}\n`);
      return exitCode(completed);
    }
    const completed = await printAnswer(events, io);
    io.stdout.write(`${usageLine(completed.usage, completed.finishReason)}\n`);
    return exitCode(completed);
  } finally {
    await engines.close();
  }
}

const exitCode = (completed: CompletedEvent): number => (completed.finishReason === 'cancelled' ? 130 : 0);

async function completion(events: AsyncIterable<RelayStreamEvent>): Promise<CompletedEvent> {
  for await (const event of events) if (event.type === 'completed') return event;
  throw RelayError.internal(InternalReason.HANDLER_NO_COMPLETION, 'the generation ended without completing');
}

/** Streams the answer as it is written, LLM spans marked; ends it with a newline. */
async function printAnswer(events: AsyncIterable<RelayStreamEvent>, io: CliIo): Promise<CompletedEvent> {
  const marker = new SpanMarker(markStyleFor(io.stdout));
  let last = '';
  const write = (out: string): void => {
    if (out === '') return;
    io.stdout.write(out);
    last = out;
  };
  for await (const event of events) {
    if (event.type === 'text') write(marker.text(event.source, event.text));
    else if (event.type === 'relayFinished') write(marker.callEnded());
    else if (event.type === 'completed') {
      write(marker.end());
      if (!last.endsWith('\n')) io.stdout.write('\n');
      return event;
    }
  }
  throw RelayError.internal(InternalReason.HANDLER_NO_COMPLETION, 'the generation ended without completing');
}
