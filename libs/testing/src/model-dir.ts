import { resolve } from 'path';

/** The workspace root (this file is libs/testing/src/model-dir.ts). */
export const repoRoot = resolve(__dirname, '../../..');

/**
 * Directory holding the reference pair `slm.gguf` + `llm.gguf` (byte-level vocabulary,
 * ids 256 `<s>`, 257 `</s>`, 258 `<call>`, 259 `</call>`): the committed, trained
 * `models/reference`. The one place specs get their model files from, so that no spec
 * grows an environment knob of its own.
 */
export function referenceModelDir(): string {
  return resolve(repoRoot, 'models/reference');
}
