import type { Msg, NatsConnection } from '@nats-io/nats-core';
import {
  ackHeaders,
  decodeProto,
  encodeProto,
  generationOf,
  llmCancelWildcard,
  llmErrorReply,
  llmGenerateSubject,
  llmQueueGroup,
  llmWorkerSubject,
  LlmReplyBuilder,
  toEngineRequest,
  traceHeadersFrom,
  wantsAck,
} from '@relayllm/nats-transport';
import { LlmCancel, LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import {
  DeadlineExceededReason,
  InvalidArgumentReason,
  isRelayError,
  RelayError,
  ResourceExhaustedReason,
  sequenceIdOf,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';

/**
 * 'silent': acks, never replies (a worker that died after admitting the call);
 * 'lost': neither acks nor replies (a worker that died after NATS delivered the
 * request, before admitting it); 'held': acks, replies once `release()`d;
 * 'derived': acks, replies after `answerDelayMs` with tokens that depend on
 * the context (derivedTokens), so a replay with a wrong context, or a token
 * doubled or lost, shows in the output; 'cut': acks, then answers one
 * token with finish `abort` (a run cut short on the worker: superseded,
 * cancelled, or ended by its shutdown).
 */
export type NatsLlmWorkerBehaviour = 'answer' | 'full' | 'silent' | 'lost' | 'held' | 'bad-request' | 'late' | 'derived' | 'cut';

/** The 'derived' answer: n token ids (100..999) from a hash of the context and the position. */
export function derivedTokens(contextText: string, n: number): number[] {
  let hash = 2166136261;
  for (let i = 0; i < contextText.length; i++) hash = Math.imul(hash ^ contextText.charCodeAt(i), 16777619) >>> 0;
  return Array.from({ length: n }, (_, i) => 100 + (Math.imul(hash ^ (i + 1), 2654435761) >>> 0) % 900);
}

/** What the fake saw of a request: the engine request, its attempt, generation and time limit. */
export interface SeenRequest extends EngineRequest {
  attempt: number;
  generationId: string;
  timeoutMs: number;
  contextText: string;
}

/** An in-process fake LLM worker on a real NATS connection: answers n `x` tokens, or misbehaves as told. */
export class NatsLlmWorkerFake {
  behaviour: NatsLlmWorkerBehaviour = 'answer';
  /** How long a 'derived' answer takes (a generating worker). */
  answerDelayMs = 0;
  readonly seen: SeenRequest[] = [];
  readonly cancels: Array<LlmCancel & { generationId: string }> = [];
  readonly traceparents: (string | undefined)[] = [];
  private readonly held: (() => void)[] = [];
  /** 'derived' runs in progress by generation: calling one cuts it short. */
  private readonly running = new Map<string, () => void>();

  /** `queue: false`: listens only on its own subject, never gets queue-group requests. */
  constructor(
    private readonly nc: NatsConnection,
    readonly workerId: string,
    { model = 'llm', queue = true }: { model?: string; queue?: boolean } = {},
  ) {
    const callback = (_error: unknown, msg: Msg): void => this.handle(msg);
    if (queue) nc.subscribe(llmGenerateSubject(model), { queue: llmQueueGroup(model), callback });
    nc.subscribe(llmWorkerSubject(model, workerId), { callback });
    nc.subscribe(llmCancelWildcard(model), {
      callback: (_e, msg) => {
        const cancel = decodeProto(LlmCancel, msg.data, 'LlmCancel');
        this.cancels.push({ ...cancel, generationId: generationOf(cancel) });
      },
    });
  }

  /** Sends the replies of the 'held' requests. */
  release(): void {
    for (const send of this.held.splice(0)) send();
  }

  private handle(msg: Msg): void {
    const wire = decodeProto(LlmGenerateRequest, msg.data, 'LlmGenerateRequest');
    const { request, timeoutMs } = toEngineRequest(wire);
    this.seen.push({ ...request, attempt: wire.attempt, generationId: generationOf(request), timeoutMs, contextText: request.context.text });
    this.traceparents.push(traceHeadersFrom(msg.headers).traceparent);
    if (this.behaviour === 'lost') return;
    if (this.behaviour === 'full') {
      msg.respond(encodeProto(LlmGenerateReply, llmErrorReply(RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'full'), { workerId: this.workerId, wire })));
      return;
    }
    if (this.behaviour === 'late') {
      msg.respond(encodeProto(LlmGenerateReply, llmErrorReply(RelayError.deadlineExceeded(DeadlineExceededReason.WORKER_DEADLINE, 'late'), { workerId: this.workerId, wire })));
      return;
    }
    if (this.behaviour === 'bad-request') {
      msg.respond(encodeProto(LlmGenerateReply, llmErrorReply(RelayError.invalidArgument(InvalidArgumentReason.CONTEXT_TOO_LONG, 'too long', 'context'), { workerId: this.workerId, wire })));
      return;
    }
    if (wantsAck(msg.headers)) msg.respond(new Uint8Array(0), { headers: ackHeaders(this.workerId) });
    if (this.behaviour === 'silent') return;
    this.answer(msg, wire, request);
  }

  /** Replies n tokens ('derived': after answerDelayMs, superseding a run of the same generation still going, as LlmWorkerService does). */
  private answer(msg: Msg, wire: LlmGenerateRequest, request: EngineRequest): void {
    const n = request.maxTokens;
    const tokens = this.behaviour === 'derived' ? derivedTokens(request.context.text, n) : Array.from({ length: n }, () => 120);
    const reply = (count: number, finish: 'length' | 'abort'): void => {
      const builder = new LlmReplyBuilder();
      const texts = tokens.slice(0, count).map((t) => (t === 120 ? 'x' : ` t${t}`));
      builder.add({ tokens: tokens.slice(0, count), text: texts.join(''), tokenTexts: texts, prefill: { reusedTokens: request.appendOnly ? 5 : 0, evaluatedTokens: 1 } });
      builder.add({ tokens: [], text: '', finish });
      try {
        msg.respond(encodeProto(LlmGenerateReply, builder.build({ workerId: this.workerId, wire })));
      } catch {
        // Closed meanwhile (a delayed answer after the spec ended): nobody waits for it.
      }
    };
    if (this.behaviour === 'held') return void this.held.push(() => reply(n, 'length'));
    if (this.behaviour === 'cut') return reply(1, 'abort');
    if (this.behaviour !== 'derived') return reply(n, 'length');
    const generation = generationOf(request);
    // The older run of this generation is cut short, answering the tokens written so far.
    this.running.get(generation)?.();
    const timer = setTimeout(() => {
      this.running.delete(generation);
      reply(n, 'length');
    }, this.answerDelayMs);
    const cut = (): void => {
      clearTimeout(timer);
      reply(1, 'abort');
    };
    this.running.set(generation, cut);
  }
}

/** A relay call of generation `generationId` (default gen-1), call `callIndex` (default 0). */
export type RelayOverrides = Partial<EngineRequest> & { generationId?: string; callIndex?: number };
export const relay = ({ generationId = 'gen-1', callIndex = 0, ...overrides }: RelayOverrides = {}): EngineRequest => ({
  sequenceId: sequenceIdOf(generationId, 'llm'),
  turn: callIndex,
  context: { text: 'Compute 1+2.\n' },
  appendOnly: false,
  maxTokens: 3,
  sampling: { temperature: 0 },
  stop: [],
  stopTokens: [],
  bannedTokens: [],
  ...overrides,
});

export async function collect(stream: AsyncIterable<EngineChunk>): Promise<EngineChunk[]> {
  const out: EngineChunk[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

export async function failure(stream: AsyncIterable<EngineChunk>): Promise<RelayError> {
  try {
    await collect(stream);
  } catch (error) {
    if (isRelayError(error)) return error;
    throw error;
  }
  throw new Error('the relay did not fail');
}
