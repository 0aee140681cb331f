export { ModelLoadError, type ModelLoadFailure } from './lib/errors';
export { importNodeLlamaCpp, type NodeLlamaCppModule } from './lib/esm';
export { greedy, nextTokenDistribution } from './lib/evaluate';
export {
  createExactContext,
  createSequence,
  defaultThreads,
  exactAttentionOptions,
  loadGgufModel,
  loadLlama,
  type ContextOptions,
  type LoadLlamaOptions,
  type SequenceOptions,
} from './lib/load';
export {
  checkParity,
  PARITY_MODELS,
  readParityFile,
  type ModelParityReport,
  type ParityCase,
  type ParityModel,
  type ParityOptions,
  type ParityReport,
} from './lib/parity';
export { serializeSampling } from './lib/serial-sampling';
export { BOS, CALL_CLOSE, CALL_OPEN, EOS, promptTokens, VOCAB_SIZE, vocabSize } from './lib/tokens';
export type { Llama, LlamaContext, LlamaContextSequence, LlamaLogLevel, LlamaModel, Token } from './lib/types';
