import { Server, ServerCredentials } from '@grpc/grpc-js';
import { SlmWorkerServiceService } from '@relayllm/proto';
import type { Engine } from '@relayllm/relay-core';
import type { SlmWorkerInfo } from '../lib/client/slm-worker-directory';
import { DEFAULT_SLM_STREAM_SETTINGS, type SlmStreamSettings } from '../lib/server/settings';
import { SlmStreamService } from '../lib/server/slm-stream-service';

export interface InProcessWorker {
  info: SlmWorkerInfo;
  service: SlmStreamService;
  /** Graceful: streams end with UNAVAILABLE. */
  shutdown(): Promise<void>;
  /** Abrupt: connections dropped, as when the process dies. */
  kill(): void;
}

/** TEST HELPER: an SlmWorkerService on a loopback port in this process. */
export async function startInProcessWorker(
  workerId: string,
  engine: Engine,
  settings: Partial<Omit<SlmStreamSettings, 'engine'>> = {},
): Promise<InProcessWorker> {
  const service = new SlmStreamService({ ...DEFAULT_SLM_STREAM_SETTINGS, maxStreams: 4, ...settings, engine });
  const server = new Server();
  server.addService(SlmWorkerServiceService, service.implementation());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    info: { workerId, address: `127.0.0.1:${port}`, maxSequences: service.maxStreams, activeSequences: 0 },
    service,
    async shutdown() {
      await service.shutdown(0);
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
    kill() {
      server.forceShutdown();
    },
  };
}
