import { status as GrpcStatus } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import type { GenerateRequestInit, RelayClient } from '@relayllm/grpc-api';
import { WorkerKind } from '@relayllm/proto';
import { WorkerRegistry } from '@relayllm/nats-transport';

/** What the cluster e2e spec waits for, each with a deadline. */

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves at the stream's first relayStarted event; rejects if it ends before one. */
export function firstRelayStarted(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    stream.on('data', (event: { event?: { $case: string } }) => {
      if (event.event?.$case === 'relayStarted') resolve();
    });
    stream.once('end', () => reject(new Error('the generation ended before its first relay')));
  });
}

type GenerateResponse = Awaited<ReturnType<RelayClient['generate']>>;

/** Retries `request` while a replica's lease refuses it (FAILED_PRECONDITION); any other error is thrown. */
export async function retryWhileLeased(
  client: RelayClient,
  request: GenerateRequestInit,
  withinMs: number,
): Promise<{ response?: GenerateResponse; refused: number }> {
  const deadline = Date.now() + withinMs;
  let refused = 0;
  while (Date.now() < deadline) {
    try {
      return { response: await client.generate(request, { timeoutMs: 60_000 }), refused };
    } catch (error) {
      if ((error as { code?: number }).code !== GrpcStatus.FAILED_PRECONDITION) throw error;
      refused += 1;
      await sleep(200);
    }
  }
  return { refused };
}

/** Until a short generation succeeds (a new replica has heard the SLM workers), or `withinMs` passes. */
export async function untilServing(client: RelayClient, prompt: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (let ok = false; !ok && Date.now() < deadline; ) {
    ok = await client.generate({ prompt, maxTokens: 4, temperature: 0 }, { timeoutMs: 10_000 }).then(
      () => true,
      () => sleep(200).then(() => false),
    );
  }
}

/**
 * The workers (`worker:active`) still busy once all `workers` have sent a
 * heartbeat later than `since` plus one interval; waits up to `withinMs` for
 * every worker to be heard idle. `auth`: NATS credentials allowed to read heartbeats (the orchestrator's).
 */
export async function busySequencesAfter(
  natsUrl: string,
  workers: number,
  since: number,
  withinMs: number,
  auth: { user?: string; pass?: string } = {},
): Promise<string[]> {
  const nc = await connect({ servers: natsUrl, ...auth });
  const registry = new WorkerRegistry(nc);
  registry.start();
  try {
    const deadline = Date.now() + withinMs;
    let busy: string[] = ['(no heartbeat yet)'];
    while (Date.now() < deadline) {
      const live = [...registry.live(WorkerKind.WORKER_KIND_SLM, 'slm'), ...registry.live(WorkerKind.WORKER_KIND_LLM, 'llm')];
      const fresh = live.filter((w) => w.lastSeenMs > since + w.intervalMs);
      busy = fresh.filter((w) => w.activeSequences > 0).map((w) => `${w.workerId}:${w.activeSequences}`);
      if (fresh.length === workers && busy.length === 0) break;
      await sleep(100);
    }
    return busy;
  } finally {
    registry.close();
    await nc.close();
  }
}
