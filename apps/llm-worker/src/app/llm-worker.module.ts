import { Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import type { Engine } from '@relayllm/relay-core';
import { trace } from '@opentelemetry/api';
import type { LlmWorkerConfig } from './config';
import { LlmWorkerController } from './llm-worker.controller';
import { LlmWorkerObservation } from './llm-worker.observation';
import { LlmWorkerService } from './llm-worker.service';
import { LLM_ENGINE, LLM_OBSERVATION, LLM_WORKER_CONFIG } from './tokens';

/** Closes the engine when the app closes (after in-flight requests were drained). */
@Injectable()
export class EngineCloser implements OnModuleDestroy {
  constructor(@Inject(LLM_ENGINE) private readonly engine: Engine) {}

  async onModuleDestroy(): Promise<void> {
    await this.engine.close();
  }
}

export interface LlmWorkerDeps {
  config: LlmWorkerConfig;
  /** Started by the host before the module is created. */
  engine: Engine;
  /** Spans and request metrics (default: the global tracer, a no-op unless a tracer provider is registered; no metrics). */
  observation?: LlmWorkerObservation;
}

@Module({})
export class LlmWorkerModule {
  static forRoot(deps: LlmWorkerDeps): DynamicModule {
    return {
      module: LlmWorkerModule,
      controllers: [LlmWorkerController],
      providers: [
        { provide: LLM_WORKER_CONFIG, useValue: deps.config },
        { provide: LLM_ENGINE, useValue: deps.engine },
        { provide: LLM_OBSERVATION, useValue: deps.observation ?? new LlmWorkerObservation(trace.getTracer('relayllm'), deps.config.workerId) },
        {
          provide: LlmWorkerService,
          inject: [LLM_ENGINE, LLM_WORKER_CONFIG, LLM_OBSERVATION],
          useFactory: (engine: Engine, config: LlmWorkerConfig, observation: LlmWorkerObservation) =>
            new LlmWorkerService(engine, {
              workerId: config.workerId,
              model: config.model,
              maxSequences: config.maxSequences,
              onEngineStart: observation.onEngineStart,
            }),
        },
        EngineCloser,
      ],
      exports: [LlmWorkerService],
    };
  }
}
