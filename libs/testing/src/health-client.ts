import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

/** A grpc.health.v1.Health client built from grpc-health-check's own service definition. */
export interface HealthCheckClient {
  /** Resolves with the reported status (`SERVING`, `NOT_SERVING`, ...); rejects with the gRPC error. */
  check(service: string): Promise<string>;
  close(): void;
}

interface RawHealthClient {
  check(request: { service: string }, callback: (error: ServiceError | null, response: { status: string }) => void): void;
  close(): void;
}

export function healthCheckClient(address: string, channel: ChannelCredentials = credentials.createInsecure()): HealthCheckClient {
  const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const raw = new HealthClient(address, channel) as unknown as RawHealthClient;
  return {
    check: (service) => new Promise((resolve, reject) => raw.check({ service }, (error, response) => (error ? reject(error) : resolve(response.status)))),
    close: () => raw.close(),
  };
}
