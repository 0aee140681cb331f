import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { relayHttpPlugin } from './fastify-plugin';
import type { RelayHttpApi } from './relay-http-api';

/** Largest request body: a prompt at relay-core's 128 000-character limit, in any UTF-8, with room for JSON. */
export const HTTP_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** After the grace period the generations are aborted; connections still open this long after that are cut. */
const FORCE_CLOSE_AFTER_ABORT_MS = 1_000;

/** How often a closing server looks for connections that went idle. */
const SETTLE_POLL_MS = 10;

export interface RelayHttpServer {
  readonly api: RelayHttpApi;
  readonly fastify: FastifyInstance;
  /** Binds and resolves with the bound port (0: any free port). */
  listen(host: string, port: number): Promise<number>;
  /**
   * `/health` turns 503 and no new connection is accepted; generations in
   * flight get up to `graceMs` to finish, then are aborted (SERVER_SHUTDOWN:
   * a 503, or an error event in their stream), then connections are closed.
   */
  close(graceMs?: number): Promise<void>;
}

/** The API on its own Fastify server (the embedded app's HTTP port). */
export function createRelayHttpServer(api: RelayHttpApi): RelayHttpServer {
  const fastify = Fastify({ logger: false, bodyLimit: HTTP_BODY_LIMIT_BYTES, forceCloseConnections: 'idle' });
  void fastify.register(relayHttpPlugin(api));
  return {
    api,
    fastify,
    async listen(host, port) {
      await fastify.listen({ host, port });
      return (fastify.server.address() as AddressInfo).port;
    },
    close: (graceMs = 5_000) => closeRelayHttp(fastify, api, graceMs),
  };
}

/**
 * Closes a Fastify instance that serves `api` (the embedded server's own, or a
 * NestJS Fastify adapter's before Nest closes it): `/health` turns 503 and no
 * new connection is accepted; generations in flight get up to `graceMs` to
 * finish, then are aborted (SERVER_SHUTDOWN), then connections still open are
 * cut. Closing the instance again afterwards is harmless.
 */
export async function closeRelayHttp(fastify: FastifyInstance, api: RelayHttpApi, graceMs: number): Promise<void> {
  api.stopServing();
  let closed = false;
  const closing = fastify.close().then(() => {
    closed = true;
  });
  // Keep-alive connections that go idle once their response ended are closed as they do, so a drained server stops at once.
  const settle = async (ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (!closed && Date.now() < until) {
      fastify.server.closeIdleConnections();
      await sleep(SETTLE_POLL_MS);
    }
  };
  await settle(graceMs);
  if (!closed) {
    api.abortAll();
    await settle(FORCE_CLOSE_AFTER_ABORT_MS);
  }
  if (!closed) fastify.server.closeAllConnections();
  await closing;
}
