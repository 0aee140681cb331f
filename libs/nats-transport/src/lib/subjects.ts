import { createHash } from 'crypto';
import { WorkerKind } from '@relayllm/proto';

/**
 * NATS subjects of the distributed deployment (the shared contract; see the
 * README). Every builder turns free-form names (model, worker id, generation
 * id) into one subject token, so that a `.`, `*`, `>` or space in a name can
 * never address another subject.
 */

/** Every worker's heartbeat (WorkerHeartbeat). */
export const WORKER_HEARTBEAT_SUBJECT = 'relayllm.workers.heartbeat';

const SAFE_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A name as one subject token: itself when it is made of [A-Za-z0-9_-] (at most
 * 64), else `h` + the first 32 hex digits of its SHA-256 (stable, so that
 * publisher and subscriber derive the same token independently).
 */
export function subjectToken(name: string): string {
  if (SAFE_TOKEN.test(name)) return name;
  return `h${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/** Relay requests for any worker of `model` (subscribe with llmQueueGroup). */
export function llmGenerateSubject(model: string): string {
  return `relayllm.llm.${subjectToken(model)}.generate`;
}

/** The queue group of a model's workers on llmGenerateSubject. */
export function llmQueueGroup(model: string): string {
  return `relayllm-llm-${subjectToken(model)}`;
}

/** Relay requests for one worker (affinity). */
export function llmWorkerSubject(model: string, workerId: string): string {
  return `relayllm.llm.${subjectToken(model)}.worker.${subjectToken(workerId)}`;
}

/** LlmCancel for one generation's running call. */
export function llmCancelSubject(model: string, generationId: string): string {
  return `relayllm.llm.${subjectToken(model)}.cancel.${subjectToken(generationId)}`;
}

/** Wildcard a worker subscribes to for every cancel of its model. */
export function llmCancelWildcard(model: string): string {
  return `relayllm.llm.${subjectToken(model)}.cancel.*`;
}

/** The subject segment of a worker kind (`slm`, `llm`). */
function roleToken(kind: WorkerKind): string {
  if (kind === WorkerKind.WORKER_KIND_SLM) return 'slm';
  if (kind === WorkerKind.WORKER_KIND_LLM) return 'llm';
  throw new RangeError(`no subject for worker kind ${kind}`);
}

/**
 * Requests for the description of a pool's model (DescribeModelReply; empty
 * request payload), addressed by its hash: every worker announcing that hash
 * answers it (subscribe with modelDescribeQueueGroup, so one does).
 */
export function modelDescribeSubject(kind: WorkerKind, model: string, descriptionHash: string): string {
  return `relayllm.${roleToken(kind)}.${subjectToken(model)}.describe.${subjectToken(descriptionHash)}`;
}

/** The queue group of the workers answering one description hash. */
export function modelDescribeQueueGroup(kind: WorkerKind, model: string, descriptionHash: string): string {
  return `relayllm-describe-${roleToken(kind)}-${subjectToken(model)}-${subjectToken(descriptionHash)}`;
}
