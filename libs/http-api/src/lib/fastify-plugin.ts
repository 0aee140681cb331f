import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidArgumentReason, RelayError } from '@relayllm/relay-core';
import type { HttpRequestView, HttpResponder } from './http-exchange';
import type { RelayHttpApi } from './relay-http-api';

/** Fastify's request as the route handlers see it. */
export function fastifyRequestView(request: FastifyRequest): HttpRequestView {
  return {
    method: request.method,
    path: request.url.split('?')[0],
    header: (name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    },
    body: request.body,
  };
}

/**
 * Fastify's reply as the route handlers answer through it: a whole response
 * goes through `reply` (hooks and logging see it); a stream takes the raw
 * Node response over (`hijack`). `disconnected` fires when the connection
 * closes before the response ended: the client went away.
 */
export function fastifyResponder(reply: FastifyReply): HttpResponder {
  const raw = reply.raw;
  const disconnect = new AbortController();
  raw.once('close', () => {
    if (!raw.writableFinished) disconnect.abort();
  });
  const signal = disconnect.signal;
  return {
    disconnected: signal,
    send: (status, headers, body) => void reply.code(status).headers(headers).send(body),
    open: (status, headers) => {
      reply.hijack();
      raw.writeHead(status, headers);
      // Headers now: a client sees the stream start before the first token.
      raw.flushHeaders();
    },
    write: (chunk) => {
      if (signal.aborted || raw.destroyed || raw.write(chunk)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          raw.removeListener('drain', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        raw.once('drain', done);
        signal.addEventListener('abort', done, { once: true });
      });
    },
    end: () => {
      raw.end();
    },
  };
}

/** Any body is read as JSON, whatever its content type (curl's default is a form): OpenAI's endpoints take JSON only. */
function parseAnyAsJson(_request: FastifyRequest, body: string, done: (error: Error | null, body?: unknown) => void): void {
  if (body.trim() === '') {
    done(null, undefined);
    return;
  }
  try {
    done(null, JSON.parse(body));
  } catch (error) {
    done(RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, `the request body is not JSON: ${error instanceof Error ? error.message : String(error)}`));
  }
}

export interface RelayHttpPluginOptions {
  /**
   * Answer unknown routes with OpenAI's 404 body (default true). A host that
   * sets its own not-found handler on the same instance (NestJS's Fastify
   * adapter does, at init; Fastify allows one per prefix) passes false and
   * may call `api.notFound` from it.
   */
  notFoundHandler?: boolean;
}

/**
 * Registers the API's routes on a Fastify instance (the embedded server's
 * own, or NestJS's Fastify adapter's `getInstance()`), with OpenAI-shaped
 * errors for bodies Fastify refuses and for unknown routes. Register it at
 * the root: it answers `/`, `/health` and `/v1/*`. Its body parser and error
 * handler stay inside the plugin (Fastify encapsulation): the host's routes
 * keep theirs.
 */
export function relayHttpPlugin(api: RelayHttpApi, options: RelayHttpPluginOptions = {}) {
  return async (fastify: FastifyInstance): Promise<void> => {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'string' }, parseAnyAsJson);
    fastify.setErrorHandler((error: FastifyError | RelayError, request, reply) => {
      const responder = fastifyResponder(reply);
      if (error instanceof RelayError) {
        api.sendError(responder, error, request.url);
        return;
      }
      // Fastify's own refusals (body too large: 413, bad content length...) keep their status.
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : undefined;
      const relayError = status === undefined ? error : RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, error.message);
      api.sendError(responder, relayError, request.url, undefined, status);
    });
    if (options.notFoundHandler !== false) {
      fastify.setNotFoundHandler((request, reply) => api.notFound(fastifyRequestView(request), fastifyResponder(reply)));
    }
    for (const route of api.routes) {
      fastify.route({
        method: route.method,
        url: route.path,
        handler: (request, reply) => route.handle(fastifyRequestView(request), fastifyResponder(reply)),
      });
    }
  };
}
