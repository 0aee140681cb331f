/**
 * Test doubles and helpers for specs (this library's and adapters'). Not for
 * production code paths.
 */
export { ScriptedEngine, type ScriptedEngineOptions, type ScriptedOutput, type ScriptTokenizer } from './scripted-engine';
export { ManualClock } from './manual-clock';
export { ChunkRecordingEngineSpy } from './chunk-recording-engine.spy';
export { encodePlainText, encodeScript, plainTextTokenIds, type ReferenceToken } from './reference-tokenizer';
export { CharTokenizerFake } from './tokenizer.fake';
export { loadLlama31Tokenizer, loadQwen3Tokenizer, type RealTokenizer } from './real-tokenizers';
export { CONFORMANCE_TABLE, type ConformanceCase } from '../conformance/conformance.table';
export {
  PROTOCOL_FIXTURE_PATH,
  buildProtocolFixture,
  formatProtocolFixture,
  type RelayProtocolFixture,
} from '../conformance/protocol-fixture';
