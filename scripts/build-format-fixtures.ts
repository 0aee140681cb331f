/**
 * `npm run fixtures:formats`: builds the Qwen3 and Llama 3.1 fixture pairs
 * (models/fixtures/<family>/{slm,llm}.gguf, git-ignored) with the real tokenizers and
 * chat templates and scripted bigram weights. A pair that is current is left alone;
 * tests build missing pairs themselves through ensureFormatFixtures().
 */
import { statSync } from 'fs';
import { relative, resolve } from 'path';
import { ensureFormatFixtures, FIXTURE_FAMILIES } from '@relayllm/model-fixtures';

async function main(): Promise<void> {
  const started = performance.now();
  const { paths, built } = await ensureFormatFixtures();
  const root = resolve(__dirname, '..');
  for (const family of FIXTURE_FAMILIES) {
    const state = built.includes(family) ? 'built' : 'current';
    for (const file of [paths[family].slm, paths[family].llm]) {
      const mb = (statSync(file).size / 2 ** 20).toFixed(1);
      process.stdout.write(`${state.padEnd(7)} ${relative(root, file)} (${mb} MiB)\n`);
    }
  }
  process.stdout.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
