/** Type-only re-exports of node-llama-cpp (ESM) usable from CommonJS sources. */
export type {
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaLogLevel,
  LlamaModel,
  Token,
} from 'node-llama-cpp' with { 'resolution-mode': 'import' };
