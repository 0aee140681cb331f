import { join, resolve } from 'path';
import type { FixtureFamily } from './families';
import type { FixtureRole } from './model-file';

/** Where `npm run fixtures:formats` and {@link ensureFormatFixtures} put the pairs (git-ignored). */
export const FORMAT_FIXTURES_DIR = resolve(__dirname, '../../../../models/fixtures');

export interface FormatFixturePaths {
  readonly family: FixtureFamily;
  readonly dir: string;
  readonly slm: string;
  readonly llm: string;
  /** Sidecar naming the inputs the pair was built from (the "is it current" check). */
  readonly manifest: string;
}

/** `<dir>/<family>/{slm,llm}.gguf` and its manifest. */
export function formatFixturePaths(family: FixtureFamily, dir: string = FORMAT_FIXTURES_DIR): FormatFixturePaths {
  const familyDir = join(dir, family);
  const model = (role: FixtureRole) => join(familyDir, `${role}.gguf`);
  return { family, dir: familyDir, slm: model('slm'), llm: model('llm'), manifest: join(familyDir, 'fixture.json') };
}
