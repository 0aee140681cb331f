import { createServer, type IncomingMessage, type Server } from 'http';
import type { AddressInfo } from 'net';
import { observabilityConfigFromEnv } from './observability-config';
import { startTracing } from './tracing';

/** A tiny OTLP/HTTP receiver: records what arrives on /v1/traces. */
async function startReceiver(): Promise<{ url: string; requests: { path: string; contentType: string; body: Buffer }[]; close(): Promise<void> }> {
  const requests: { path: string; contentType: string; body: Buffer }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('OTLP export configured by the OTEL_* variables', () => {
  it('sends spans as OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with OTEL_SERVICE_NAME', async () => {
    const receiver = await startReceiver();
    try {
      const config = observabilityConfigFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'relayllm-spec',
      });
      const tracing = startTracing(config.tracing, { defaultServiceName: 'unused', registerGlobal: false });
      tracing.tracer.startSpan('relay.generate').end();
      await tracing.shutdown();
      expect(receiver.requests.map((r) => r.path)).toEqual(['/v1/traces']);
      const body = JSON.parse(receiver.requests[0]!.body.toString('utf8'));
      const resourceSpans = body.resourceSpans[0];
      expect(resourceSpans.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'relayllm-spec' } });
      expect(resourceSpans.scopeSpans[0].spans.map((s: { name: string }) => s.name)).toEqual(['relay.generate']);
    } finally {
      await receiver.close();
    }
  });

  it('sends OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', async () => {
    const receiver = await startReceiver();
    try {
      const config = observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces` });
      expect(config.tracing).toMatchObject({ enabled: true, protocol: 'http/protobuf' });
      const tracing = startTracing(config.tracing, { defaultServiceName: 'relayllm-default', registerGlobal: false });
      tracing.tracer.startSpan('slm.segment').end();
      await tracing.shutdown();
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0]).toMatchObject({ path: '/custom/traces', contentType: 'application/x-protobuf' });
      // The span name and the default service name are in the protobuf bytes.
      expect(receiver.requests[0]!.body.includes(Buffer.from('slm.segment'))).toBe(true);
      expect(receiver.requests[0]!.body.includes(Buffer.from('relayllm-default'))).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing under OTEL_TRACES_SAMPLER=always_off', async () => {
    const receiver = await startReceiver();
    try {
      const config = observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off' });
      const tracing = startTracing(config.tracing, { defaultServiceName: 'x', registerGlobal: false });
      const span = tracing.tracer.startSpan('relay.generate');
      expect(span.isRecording()).toBe(false);
      span.end();
      await tracing.shutdown();
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});
