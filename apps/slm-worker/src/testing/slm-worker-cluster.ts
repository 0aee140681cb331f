import type { NatsConnection } from '@nats-io/nats-core';
import { LlamaCppEngine } from '@relayllm/engines';
import { loadLlama, type Llama } from '@relayllm/llama-cpp';
import { connectNats, WorkerRegistry } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import {
  REFERENCE_CHAT_FORMAT,
  REFERENCE_PAIR_PROFILE,
  runRelay,
  SystemClock,
  type CompletedEvent,
  type Engine,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import type { SlmWorkerDirectory } from '@relayllm/slm-remote';
import { referenceModelDir, SLM_WORKER_QUESTIONS, startAppProcess, startNatsServer, until, type AppProcessHandle, type NatsServerHandle } from '@relayllm/testing';
import { join } from 'path';

const MAX_TOKENS = 256;
const THREADS = 1; // same llama.cpp settings in the workers and here
export const WORKER_SEQUENCES = 4;
/** Heartbeats every 200 ms: a silent worker leaves the registry after 600 ms. */
export const HEARTBEAT_INTERVAL_MS = 200;

export type RelaySummary = Pick<CompletedEvent, 'text' | 'finishReason'> & { slm: number; llm: number; calls: number };
export const summary = (c: CompletedEvent): RelaySummary => ({ text: c.text, finishReason: c.finishReason, slm: c.usage.slmTokens, llm: c.usage.llmTokens, calls: c.usage.calls });

/**
 * TEST FIXTURE: real slm-worker processes (reference SLM, real gRPC,
 * heartbeats over a private nats-server, found through the NATS
 * WorkerRegistry), the reference LLM in this process for runRelay, and each
 * question's relay on in-process engines (the embedded mode) to compare with.
 */
export class SlmWorkerCluster {
  readonly workers = new Map<string, AppProcessHandle>();
  readonly embedded = new Map<string, CompletedEvent>();
  registry!: WorkerRegistry;
  private nats: NatsServerHandle | undefined;
  private nc: NatsConnection | undefined;
  private llama: Llama | undefined;
  private embeddedSlm: LlamaCppEngine | undefined;
  private llm: LlamaCppEngine | undefined;

  /** The registry's live SLM workers, as RemoteSlmEngine's directory. */
  readonly directory: SlmWorkerDirectory = { liveWorkers: () => this.liveSlmWorkers() };

  liveSlmWorkers() {
    return this.registry?.live(WorkerKind.WORKER_KIND_SLM, 'slm') ?? [];
  }

  /** Starts NATS, the workers `ids`, the registry and the embedded reference relays. */
  async start(ids: readonly string[]): Promise<void> {
    this.nats = await startNatsServer();
    await Promise.all(ids.map((id) => this.startWorker(id)));
    this.nc = await connectNats({ servers: this.nats.url, name: 'slm-worker-spec' });
    this.registry = new WorkerRegistry(this.nc);
    this.registry.start();
    await until(() => this.liveSlmWorkers().length === ids.length, 'the workers to announce themselves');
    this.llama = await loadLlama();
    this.embeddedSlm = new LlamaCppEngine({ modelPath: join(referenceModelDir(), 'slm.gguf'), llama: this.llama, sequences: WORKER_SEQUENCES, threads: THREADS });
    this.llm = new LlamaCppEngine({ modelPath: join(referenceModelDir(), 'llm.gguf'), llama: this.llama, sequences: 4, threads: THREADS });
    await Promise.all([this.embeddedSlm.start(), this.llm.start()]);
    for (const [i, q] of SLM_WORKER_QUESTIONS.entries()) this.embedded.set(q, await this.relay(this.embeddedSlm, q, `emb-${i}`));
  }

  async startWorker(id: string): Promise<void> {
    const worker = await startAppProcess({
      name: id,
      script: 'apps/slm-worker/bin/slm-worker.cjs',
      env: {
        RELAYLLM_NATS_URL: (this.nats as NatsServerHandle).url,
        RELAYLLM_SLM_PORT: '0',
        RELAYLLM_WORKER_ID: id,
        RELAYLLM_SLM_MAX_SEQUENCES: String(WORKER_SEQUENCES),
        RELAYLLM_SLM_THREADS: String(THREADS),
        RELAYLLM_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
        // Frames flush by size, pause or finish only, so their batching does not depend on the machine's speed.
        RELAYLLM_SLM_FLUSH_MS: '1000',
        RELAYLLM_SHUTDOWN_GRACE_MS: '1000',
        // Plain on purpose: a private nats-server on loopback, no TLS on the SLM channel.
        RELAYLLM_INSECURE: 'true',
        NODE_OPTIONS: '',
      },
      readyLine: /^slm-worker ready id=(\S+) address=(\S+) /,
    });
    this.workers.set(id, worker);
  }

  /** The embedded relay's summary of `question`. */
  expected(question: string): RelaySummary {
    return summary(this.embedded.get(question) as CompletedEvent);
  }

  /** One relay of `question` through `slm` (the LLM in this process), at temperature 0. */
  async relay(slm: Engine, question: string, generationId: string, signal = new AbortController().signal): Promise<CompletedEvent> {
    const framed = REFERENCE_CHAT_FORMAT.frame(question);
    const events: RelayStreamEvent[] = [];
    const request = { generationId, prompt: framed.text, promptTokens: framed.tokens, maxTokens: MAX_TOKENS, sampling: { temperature: 0 } };
    const engines = { slm, llm: this.llm as LlamaCppEngine, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE };
    for await (const event of runRelay(engines, request, signal)) events.push(event);
    const completed = events[events.length - 1];
    if (completed?.type !== 'completed') throw new Error('the relay did not complete');
    return completed;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.registry?.close();
    await this.nc?.close();
    await Promise.all([this.embeddedSlm?.close(), this.llm?.close()]);
    await this.llama?.dispose();
    await this.nats?.stop();
  }
}
