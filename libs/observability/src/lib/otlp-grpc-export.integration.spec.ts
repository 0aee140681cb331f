import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { observabilityConfigFromEnv } from './observability-config';
import { startTracing } from './tracing';

/**
 * A tiny OTLP/gRPC receiver: the collector's TraceService/Export with raw
 * protobuf bytes in (recorded) and an empty ExportTraceServiceResponse out
 * (zero bytes is a valid empty message), so no OTLP .proto files are needed.
 */
async function startGrpcReceiver(): Promise<{ endpoint: string; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const identity = (b: Buffer): Buffer => b;
  const server = new Server();
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        bodies.push(call.request);
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

describe('OTLP/gRPC export configured by the OTEL_* variables', () => {
  it('sends spans over gRPC to OTEL_EXPORTER_OTLP_ENDPOINT when OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc', async () => {
    const receiver = await startGrpcReceiver();
    try {
      const config = observabilityConfigFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_SERVICE_NAME: 'relayllm-grpc-spec',
      });
      expect(config.tracing).toMatchObject({ enabled: true, protocol: 'grpc' });
      const tracing = startTracing(config.tracing, { defaultServiceName: 'unused', registerGlobal: false });
      tracing.tracer.startSpan('relay.call').end();
      await tracing.shutdown();
      expect(receiver.bodies).toHaveLength(1);
      // Protobuf keeps strings as UTF-8 bytes: the span name and service name are in the request.
      expect(receiver.bodies[0]!.includes(Buffer.from('relay.call'))).toBe(true);
      expect(receiver.bodies[0]!.includes(Buffer.from('relayllm-grpc-spec'))).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});
