import { Module, type DynamicModule } from '@nestjs/common';
import { ServerCredentials } from '@grpc/grpc-js';
import type { Engine } from '@relayllm/relay-core';
import type { SlmWorkerConfig } from './config';
import { SlmGrpcHost } from './slm-grpc.host';
import { SLM_ENGINE, SLM_SERVER_CREDENTIALS, SLM_WORKER_CONFIG } from './tokens';

export interface SlmWorkerDeps {
  config: SlmWorkerConfig;
  /** Started by the host before the module is created; closed by SlmGrpcHost on shutdown. */
  engine: Engine;
  /** TLS / mTLS of the gRPC server (config.ts loadSlmWorkerServerCredentials); default plaintext. */
  serverCredentials?: ServerCredentials;
}

/** The SLM worker: the gRPC host (Decode streams + health). Its NATS presence is started by main.ts. */
@Module({})
export class SlmWorkerModule {
  static forRoot(deps: SlmWorkerDeps): DynamicModule {
    return {
      module: SlmWorkerModule,
      providers: [
        { provide: SLM_WORKER_CONFIG, useValue: deps.config },
        { provide: SLM_ENGINE, useValue: deps.engine },
        { provide: SLM_SERVER_CREDENTIALS, useValue: deps.serverCredentials ?? ServerCredentials.createInsecure() },
        SlmGrpcHost,
      ],
      exports: [SlmGrpcHost],
    };
  }
}
