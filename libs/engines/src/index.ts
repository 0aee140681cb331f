// Engines (implementations of relay-core's Engine port)
export { LlamaCppEngine, type LlamaCppEngineOptions } from './lib/llama/llama-cpp-engine';
export { OpenAiCompletionsEngine, type OpenAiCompletionsEngineOptions } from './lib/openai/openai-completions-engine';
export { createEngine, type EngineSpec } from './lib/engine-factory';

// Building blocks, exported for reuse and for specs
export type { LlamaEngineChunk, SampledToken, OutputAssemblerOptions } from './lib/llama/output-assembler';
export { OutputAssembler } from './lib/llama/output-assembler';
export { commonPrefixLength, contextIds, planKvReuse, type KvPlan, type KvPlanInput, type TextTokenization } from './lib/llama/kv-plan';
export { describeLlamaModel, vocabularyIdOf } from './lib/llama/model-description';
export { describeServedModel, type ServedModelQuery } from './lib/openai/served-model';
export { SequencePool, type SequenceLease, type SequencePoolOptions } from './lib/llama/sequence-pool';
export { CompletionChunkReader, completionBody } from './lib/openai/completion-chunks';
export { sseEvents, type SseLimits } from './lib/openai/sse-reader';

