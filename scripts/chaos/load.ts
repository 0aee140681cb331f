/**
 * The load of one run: every prompt once through the public gRPC API (the
 * client the e2e tests use), temperature 0, at most `concurrency` in flight;
 * each generation's outcome or failure (gRPC status + the
 * relayllm-error-reason trailer) and its latency.
 *
 * Given several orchestrators' clients, a generation is retried with the same
 * request_id as an operator's client would: on the next orchestrator when
 * the call died without an answer from the server (no reason trailer: the
 * process is gone), and on the same one, after a pause, while another
 * replica's lease on the generation refuses it (FAILED_PRECONDITION), all
 * within the generation's one deadline. With one client nothing is retried.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ERROR_REASON_METADATA_KEY, type GenerateRequestInit, type RelayClient } from '@relayllm/grpc-api';
import type { Policy } from '@relayllm/proto';
import { mapConcurrent } from '../../tests/e2e/prompts';
import type { GenerationResult } from './report';

export interface LoadSettings {
  readonly concurrency: number;
  readonly maxTokens: number;
  readonly deadlineMs: number;
  readonly policy: Policy;
}

export interface LoadRun {
  readonly results: GenerationResult[];
  readonly wallMs: number;
}

/** The relayllm-error-reason trailer, '' when the server sent none (or no server answered). */
function reasonOf(error: unknown): string {
  const reason = (error as Partial<ServiceError>).metadata?.get(ERROR_REASON_METADATA_KEY)[0];
  return typeof reason === 'string' ? reason : '';
}

function failure(error: unknown, latencyMs: number): GenerationResult {
  const code = (error as Partial<ServiceError>).code;
  const name = typeof code === 'number' ? (GrpcStatus[code] ?? `code ${code}`) : 'CLIENT_ERROR';
  const details = (error as Partial<ServiceError>).details;
  const message = typeof details === 'string' ? details : error instanceof Error ? error.message : String(error);
  return { ok: false, code: name, reason: reasonOf(error), message, latencyMs };
}

/** Pause between tries while a lease refuses the generation. */
const LEASE_RETRY_PAUSE_MS = 200;

type GenerateResponse = Awaited<ReturnType<RelayClient['generate']>>;

/** One generation through `clients` (see the file comment), within `deadlineMs`. */
async function generateWithFailover(clients: readonly RelayClient[], request: GenerateRequestInit, deadlineMs: number): Promise<GenerateResponse> {
  const deadline = new Date(Date.now() + deadlineMs);
  for (let current = 0; ; ) {
    try {
      return await clients[current].generate(request, { deadline });
    } catch (error) {
      const code = (error as Partial<ServiceError>).code;
      const leased = code === GrpcStatus.FAILED_PRECONDITION && clients.length > 1;
      const processGone = (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.CANCELLED || code === GrpcStatus.INTERNAL) && reasonOf(error) === '';
      if (leased && Date.now() + LEASE_RETRY_PAUSE_MS < deadline.getTime()) await new Promise((resolve) => setTimeout(resolve, LEASE_RETRY_PAUSE_MS));
      else if (processGone && current + 1 < clients.length) current += 1;
      else throw error;
    }
  }
}

/** Request ids are `<runId>-<index>`: unique per run, so no run is answered from another's stored generation. */
export async function runLoad(clients: readonly RelayClient[], prompts: readonly string[], runId: string, settings: LoadSettings): Promise<LoadRun> {
  const started = performance.now();
  const results = await mapConcurrent(prompts, settings.concurrency, async (prompt, i): Promise<GenerationResult> => {
    const t0 = performance.now();
    try {
      const request = { prompt, maxTokens: settings.maxTokens, temperature: 0, policy: settings.policy, requestId: `${runId}-${i}` };
      const response = await generateWithFailover(clients, request, settings.deadlineMs);
      const outcome = { text: response.text, finishReason: response.finishReason, calls: response.usage?.calls ?? 0 };
      return { ok: true, outcome, latencyMs: performance.now() - t0 };
    } catch (error) {
      return failure(error, performance.now() - t0);
    }
  });
  return { results, wallMs: performance.now() - started };
}
