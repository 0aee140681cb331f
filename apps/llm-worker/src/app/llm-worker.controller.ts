import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { LlmCancel, LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { LlmWorkerObservation } from './llm-worker.observation';
import { LlmWorkerService } from './llm-worker.service';
import { NatsLlmContext } from './nats-llm-server';
import { LLM_CANCEL_PATTERN, LLM_GENERATE_PATTERN, LLM_OBSERVATION } from './tokens';

/** Thin: the transport decodes, the service decides. */
@Controller()
export class LlmWorkerController {
  constructor(
    @Inject(LlmWorkerService) private readonly service: LlmWorkerService,
    @Inject(LLM_OBSERVATION) private readonly observation: LlmWorkerObservation,
  ) {}

  @MessagePattern(LLM_GENERATE_PATTERN)
  generate(@Payload() request: LlmGenerateRequest, @Ctx() context: NatsLlmContext): Promise<LlmGenerateReply> {
    return this.observation.generate(context.getTraceHeaders(), request, () => this.service.generate(request, () => context.accept()));
  }

  @EventPattern(LLM_CANCEL_PATTERN)
  cancel(@Payload() message: LlmCancel): void {
    this.service.cancel(message);
  }
}
