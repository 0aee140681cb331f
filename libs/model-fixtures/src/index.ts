export { assertGreedyFollows, BIGRAM_LOGIT, bigramLogits, buildBigramWeights, successorTable, type BigramSpec, type BigramWeights } from './lib/bigram';
export { ensureFormatFixtures, type EnsureFormatFixturesOptions, type FormatFixturesResult } from './lib/ensure-fixtures';
export { CHAT_FORMAT_FAMILIES, chatTemplateOf, FIXTURE_FAMILIES, tokenizerFiles, type ChatFormatFamily, type FixtureFamily } from './lib/families';
export {
  familyScript,
  referenceTokenIds,
  referenceTokenizer,
  renderFixturePrompt,
  type FamilyScript,
  type ReferenceTokenizer,
} from './lib/family-script';
export { encodeGguf, tensorByteLength } from './lib/gguf/gguf-writer';
export { parseGguf, readTensorValues, type GgufReadValue, type GgufTensorInfo, type ParsedGguf } from './lib/gguf/gguf-reader';
export {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_VERSION,
  GgmlType,
  gguf,
  GgufValueType,
  type GgufFileContent,
  type GgufMetadataEntry,
  type GgufTensor,
  type GgufValue,
} from './lib/gguf/gguf-types';
export { encodeFixtureModel, FIXTURE_MODEL_SHAPE, type FixtureRole } from './lib/model-file';
export { FORMAT_FIXTURES_DIR, formatFixturePaths, type FormatFixturePaths } from './lib/paths';
export {
  EXPECTED_COMMAND_FREE_TEXT,
  EXPECTED_LLM_ONLY_ANSWER,
  EXPECTED_RELAY_ANSWER,
  EXPECTED_RELAY_ANSWERS,
  EXPECTED_SLM_TEXT_UNTIL_CALL,
  FIXTURE_MESSAGES,
  FIXTURE_SCRIPT_TEXT,
} from './lib/script-text';
export { COMMAND_MARKERS, loadFamilyVocabulary, TokenType, type FamilyVocabulary } from './lib/vocabulary';
