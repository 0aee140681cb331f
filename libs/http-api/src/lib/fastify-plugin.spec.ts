import Fastify, { type FastifyInstance } from 'fastify';
import { referenceModels, type CompletedEvent } from '@relayllm/relay-core';
import { EventsHandlerFake } from '../testing';
import { relayHttpPlugin } from './fastify-plugin';
import { RelayHttpApi } from './relay-http-api';

/** The plugin on a Fastify instance, driven with Fastify's in-process `inject` (no socket). */

const COMPLETED: CompletedEvent = {
  type: 'completed',
  finishReason: 'eos',
  text: 'ok',
  usage: { slmTokens: 1, llmTokens: 0, responseTokens: 1, calls: 0, llmTokenRatio: 0, malformedCommands: 0, noCallCommands: 0, callRecords: [] },
};

async function instance(configure: (fastify: FastifyInstance) => void = () => undefined, notFoundHandler?: boolean): Promise<FastifyInstance> {
  const fastify = Fastify({ bodyLimit: 1024 });
  configure(fastify);
  const api = new RelayHttpApi({ relay: new EventsHandlerFake([COMPLETED]), models: () => referenceModels(), defaultMaxTokens: 8 });
  await fastify.register(relayHttpPlugin(api, { notFoundHandler }));
  await fastify.ready();
  return fastify;
}

const chat = JSON.stringify({ model: 'relayllm', messages: [{ role: 'user', content: 'Hi' }] });

describe('relayHttpPlugin', () => {
  it('reads the body as JSON whatever its content type', async () => {
    const fastify = await instance();
    const response = await fastify.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect([response.statusCode, response.json().choices[0].message.content]).toEqual([200, 'ok']);
  });

  it("answers what Fastify refuses in OpenAI's shape: a body that is not JSON (400), one too large (413)", async () => {
    const fastify = await instance();
    const notJson = await fastify.inject({ method: 'POST', url: '/v1/chat/completions', payload: '{"model":', headers: { 'content-type': 'application/json' } });
    expect([notJson.statusCode, notJson.json().error.relay_reason]).toEqual([400, 'REQUEST_BODY_INVALID']);
    const large = await fastify.inject({ method: 'POST', url: '/v1/chat/completions', payload: JSON.stringify({ pad: 'x'.repeat(2048) }), headers: { 'content-type': 'application/json' } });
    expect([large.statusCode, large.json().error.type]).toEqual([413, 'invalid_request_error']);
  });

  it("answers unknown routes with OpenAI's 404", async () => {
    const response = await (await instance()).inject({ method: 'GET', url: '/v1/embeddings' });
    expect([response.statusCode, response.json().error.relay_reason]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });

  it("leaves a host's own parser, routes and not-found handler alone (notFoundHandler: false)", async () => {
    const fastify = await instance((host) => {
      host.setNotFoundHandler((_request, reply) => void reply.code(404).send({ host: true }));
      host.post('/host', async (request) => ({ echoed: request.body }));
    }, false);
    expect((await fastify.inject({ method: 'POST', url: '/host', payload: { a: 1 } })).json()).toEqual({ echoed: { a: 1 } });
    expect((await fastify.inject({ method: 'GET', url: '/nope' })).json()).toEqual({ host: true });
    expect((await fastify.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
