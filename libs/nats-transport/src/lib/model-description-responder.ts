import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { DescribeModelReply, type WorkerKind, type WorkerModelDescription } from '@relayllm/proto';
import { modelDescriptionHash } from '@relayllm/worker-protocol';
import { encodeProto } from './codec';
import { modelDescribeQueueGroup, modelDescribeSubject } from './subjects';

export interface ModelDescriptionResponderOptions {
  workerId: string;
  kind: WorkerKind;
  /** The pool's model name (the `<model>` of the subjects). */
  model: string;
  /** What the worker's engine said of its model (worker-protocol's modelDescriptionToWire). */
  description: WorkerModelDescription;
}

/**
 * A worker's answer to "what is your model?": it listens on the describe
 * subject of its own description hash (queue group: one worker of those
 * announcing the hash answers) and replies with the whole description. The
 * hash goes into its heartbeats (WorkerAnnouncer `descriptionHash`), so an
 * orchestrator fetches each distinct description once.
 */
export class ModelDescriptionResponder {
  /** sha256 (hex) of the encoded description. */
  readonly hash: string;
  private subscription: Subscription | undefined;
  private readonly reply: Uint8Array;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: ModelDescriptionResponderOptions,
  ) {
    this.hash = modelDescriptionHash(options.description);
    this.reply = encodeProto(
      DescribeModelReply,
      DescribeModelReply.fromPartial({ workerId: options.workerId, descriptionHash: this.hash, description: options.description }),
    );
  }

  /** Starts answering. Idempotent. */
  start(): void {
    if (this.subscription !== undefined) return;
    const { kind, model } = this.options;
    this.subscription = this.nc.subscribe(modelDescribeSubject(kind, model, this.hash), {
      queue: modelDescribeQueueGroup(kind, model, this.hash),
      callback: (error, msg) => {
        if (error !== null) return;
        try {
          msg.respond(this.reply);
        } catch {
          // Closed or draining: the asker times out and asks again at a later heartbeat.
        }
      },
    });
  }

  /** Stops answering. Idempotent. */
  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
