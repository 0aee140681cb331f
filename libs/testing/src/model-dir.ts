import { resolve } from 'path';

/** The workspace root (this file is libs/testing/src/model-dir.ts). */
export const repoRoot = resolve(__dirname, '../../..');

/**
 * TEMPORARY: the untrained smoke export until `models/reference` is committed.
 * Switch by making referenceModelDir() return `resolve(repoRoot, 'models/reference')`.
 * Untrained models never write EOS, so specs that need a trained model (e.g. "greedy
 * stops at EOS") fail against this directory by design.
 */
const SMOKE_MODEL_DIR = '/tmp/smoke2/export';

/**
 * Directory holding the reference pair `slm.gguf` + `llm.gguf` (byte-level vocabulary,
 * ids 256 `<s>`, 257 `</s>`, 258 `<call>`, 259 `</call>`). The one place specs get
 * their model files from, so that switching the pair is a one-line change here and no
 * spec grows an environment knob of its own.
 */
export function referenceModelDir(): string {
  return SMOKE_MODEL_DIR;
}
