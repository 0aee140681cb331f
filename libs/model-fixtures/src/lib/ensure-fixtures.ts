import { createHash } from 'crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { assertGreedyFollows, BIGRAM_LOGIT, buildBigramWeights, successorTable, type BigramSpec } from './bigram';
import { CHAT_FORMAT_FAMILIES, FIXTURE_FAMILIES, tokenizerFiles, type FixtureFamily } from './families';
import { familyScript, type FamilyScript } from './family-script';
import { encodeFixtureModel, FIXTURE_MODEL_SHAPE, type FixtureRole } from './model-file';
import { FORMAT_FIXTURES_DIR, formatFixturePaths, type FormatFixturePaths } from './paths';
import { FIXTURE_MESSAGES, FIXTURE_SCRIPT_TEXT } from './script-text';
import { loadFamilyVocabulary } from './vocabulary';

/** Bump when the builder writes different files from the same inputs and its sources are not on disk to hash. */
const FIXTURE_BUILDER_VERSION = 1;

export interface EnsureFormatFixturesOptions {
  /** Default {@link FORMAT_FIXTURES_DIR} (models/fixtures). */
  readonly dir?: string;
  /** Default: every family. */
  readonly families?: readonly FixtureFamily[];
}

export interface FormatFixturesResult {
  readonly paths: Readonly<Record<FixtureFamily, FormatFixturePaths>>;
  /** Families written by this call; the others were current. */
  readonly built: readonly FixtureFamily[];
}

interface FixtureFileRecord {
  readonly bytes: number;
  readonly sha256: string;
  /** Model width the bigram table needed. */
  readonly dim: number;
}

/** What `fixture.json` records next to a pair. */
interface FixtureManifest {
  readonly inputsDigest: string;
  readonly files: Readonly<Record<FixtureRole, FixtureFileRecord>>;
  readonly vocabSize: number;
  readonly script: FamilyScript;
}

/**
 * Builds the Qwen3 and Llama 3.1 fixture pairs unless they are current: a pair is skipped
 * when its manifest names the digest of today's inputs (tokenizer files, script, shape,
 * builder sources) and both files have the recorded sizes. Files are written under a
 * temporary name and renamed, the manifest last, so concurrent callers (parallel Jest
 * workers) never read a half-written model; they write identical bytes.
 */
export async function ensureFormatFixtures(options: EnsureFormatFixturesOptions = {}): Promise<FormatFixturesResult> {
  const dir = options.dir ?? FORMAT_FIXTURES_DIR;
  const families = options.families ?? FIXTURE_FAMILIES;
  const built: FixtureFamily[] = [];
  const paths = {} as Record<FixtureFamily, FormatFixturePaths>;
  for (const family of FIXTURE_FAMILIES) paths[family] = formatFixturePaths(family, dir);
  for (const family of families) {
    const digest = inputsDigest(family);
    if (isCurrent(paths[family], digest)) continue;
    await buildFamily(paths[family], digest);
    built.push(family);
  }
  return { paths, built };
}

async function buildFamily(paths: FormatFixturePaths, digest: string): Promise<void> {
  const vocabulary = loadFamilyVocabulary(paths.family);
  const script = await familyScript(paths.family);
  const chains: Record<FixtureRole, FamilyScript['slmChains']> = { slm: script.slmChains, llm: script.llmChains };
  mkdirSync(paths.dir, { recursive: true });
  const files = {} as Record<FixtureRole, FixtureFileRecord>;
  for (const role of ['slm', 'llm'] as const) {
    const spec: BigramSpec = {
      vocabSize: vocabulary.tokens.length,
      successors: successorTable(chains[role]),
      fallbackSuccessor: script.endOfTurn,
    };
    const weights = buildBigramWeights(spec);
    assertGreedyFollows(weights, spec);
    const bytes = encodeFixtureModel(vocabulary, weights, role);
    writeAtomically(paths[role], bytes);
    files[role] = { bytes: bytes.length, sha256: sha256(bytes), dim: weights.dim };
  }
  const manifest: FixtureManifest = { inputsDigest: digest, files, vocabSize: vocabulary.tokens.length, script };
  writeAtomically(paths.manifest, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
}

function isCurrent(paths: FormatFixturePaths, digest: string): boolean {
  let manifest: FixtureManifest;
  try {
    manifest = JSON.parse(readFileSync(paths.manifest, 'utf8')) as FixtureManifest;
  } catch {
    return false;
  }
  if (manifest.inputsDigest !== digest) return false;
  return (['slm', 'llm'] as const).every((role) => existsSync(paths[role]) && statSync(paths[role]).size === manifest.files?.[role]?.bytes);
}

/** Everything the files are made from; any change rebuilds them. */
function inputsDigest(family: FixtureFamily): string {
  const hash = createHash('sha256');
  const definition = {
    builderVersion: FIXTURE_BUILDER_VERSION,
    family: CHAT_FORMAT_FAMILIES[family],
    text: FIXTURE_SCRIPT_TEXT,
    messages: FIXTURE_MESSAGES,
    shape: FIXTURE_MODEL_SHAPE,
    logit: BIGRAM_LOGIT,
  };
  hash.update(JSON.stringify(definition));
  const files = tokenizerFiles(family);
  for (const file of [files.tokenizerJson, files.tokenizerConfigJson, ...builderSources()]) {
    hash.update(`\0${file.endsWith('.ts') ? 'source' : 'tokenizer'}\0`).update(readFileSync(file));
  }
  return hash.digest('hex');
}

/**
 * This lib's own TypeScript sources when they are on disk (Jest, the ts runtime), so
 * that editing the builder rebuilds the fixtures without anyone bumping a version.
 */
function builderSources(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) found.push(path);
    }
  };
  walk(__dirname);
  return found;
}

function writeAtomically(path: string, bytes: Buffer): void {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
