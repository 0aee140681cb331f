import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDataset, sampleItems } from '@relayllm/eval';
import { createRelayGrpcServer, type RelayGrpcServer } from '@relayllm/grpc-api';
import { EVAL_ITEMS, referenceModelDir, repoRoot } from '@relayllm/testing';
import { startEmbeddedEngines, type EmbeddedEngines } from './app/embedded-engines';
import { createEmbeddedRelay } from './app/embedded-host';
import { specConfig } from './testing/embedded-fixture';
import { runCli } from './main';

/**
 * `relayllm eval` against the real GGUF pair in referenceModelDir(): every
 * policy runs; embedded and --target (a server started here on 127.0.0.1:0)
 * give identical results at temperature 0; bad datasets and policy/transport
 * mismatches are clear errors.
 */
const MODELS = referenceModelDir();
const BIN = join(repoRoot, 'apps/relayllm/bin/relayllm.cjs');

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await runCli(['eval', ...args, '--models', MODELS], io);
  return { code, stdout, stderr };
}

function spawned(args: string[]): Promise<Captured> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

const results = (dir: string): Array<Record<string, unknown>> =>
  readFileSync(join(dir, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .sort((a, b) => (a['index'] as number) - (b['index'] as number));

const summary = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;

describe('relayllm eval (real models)', () => {
  let scratch: string;
  let dataset: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'relayllm-eval-'));
    dataset = join(scratch, 'tiny.jsonl');
    writeFileSync(dataset, `${EVAL_ITEMS.map((q) => JSON.stringify(q)).join('\n')}\n`);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each([
    ['relay', []],
    ['slm', []],
    ['llm', []],
    ['random-router', ['--p', '0.5', '--seed', '3']],
    ['uncertainty', ['--threshold', '0.6', '--k', '4']],
    ['uncertainty', ['--threshold', '1.0', '--k', '2', '--entropy']],
    ['relay-floor', ['--threshold', '0.99', '--k', '3']],
    ['fixed', ['--k', '3']],
    ['teacher-free', []],
  ])('policy %s %j runs on 3 items and writes results.jsonl and summary.json', async (policy, options) => {
    const out = join(scratch, `${policy}-${options.join('_')}`);
    const run = await cli(['--dataset', dataset, '--policy', policy, ...options, '--limit', '3', '--max-tokens', '24', '--out', out]);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/accuracy \d\.\d{3} \[.*n=3 \(SAMPLE of 5\)/);
    // --limit takes a seeded sample stratified by level (not the first lines) and says so.
    expect(run.stderr).toContain(`--limit 3: a SAMPLE of 3 of the 5 items of ${dataset}, not the whole set`);
    const items = results(out);
    expect(items.map((r) => r['index'])).toEqual(sampleItems(parseDataset(readFileSync(dataset, 'utf8')).items, 3).items.map((i) => i.index));
    expect(items.map((r) => r['level']).sort()).toEqual([2, 2, 3]);
    for (const item of items) {
      expect(Object.keys(item)).toEqual(
        expect.arrayContaining(['index', 'question', 'answer', 'level', 'text', 'predicted', 'correct', 'finish_reason', 'usage', 'calls', 'latency_ms']),
      );
      const usage = item['usage'] as Record<string, number>;
      expect(usage['slm_tokens'] + usage['llm_tokens']).toBe(usage['response_tokens']);
      expect(usage['response_tokens']).toBeLessThanOrEqual(24);
      expect(typeof item['llm_prefill_tokens']).toBe('number');
      // Each LLM call reads at least the prompt: the meter must see the engines' own sequence ids.
      if (usage['llm_tokens'] > 0) expect(item['llm_prefill_tokens']).toBeGreaterThan(0);
    }
    const s = summary(out);
    expect(s).toMatchObject({ policy, n: 3, dataset });
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining([
        'params', 'label', 'accuracy', 'accuracy_ci95', 'llm_token_ratio', 'slm_tokens', 'llm_tokens', 'calls_per_answer',
        'llm_prefill_tokens', 'latency_ms_p50', 'latency_ms_p95', 'tokens_per_s', 'mean_response_tokens', 'by_level', 'call_positions',
      ]),
    );
    if (policy === 'llm') expect(s['llm_token_ratio']).toBe(1);
    if (policy === 'slm' || policy === 'teacher-free') expect(s['llm_tokens']).toBe(0);
    if (policy === 'fixed') for (const item of items) for (const c of item['calls'] as Array<Record<string, number>>) expect(c['requested_n']).toBe(3);
    if (policy === 'uncertainty') for (const item of items) for (const c of item['calls'] as Array<Record<string, number>>) expect(c['requested_n']).toBe(Number(options[3]));
    // The floor reads each sampled token's probability from llama.cpp; the student's own calls ask for 1-3.
    if (policy === 'relay-floor') expect(items.flatMap((item) => item['calls'] as Array<Record<string, number>>).length).toBeGreaterThan(0);
  }, 60_000);

  describe('embedded and --target give identical results at temperature 0', () => {
    let engines: EmbeddedEngines;
    let server: RelayGrpcServer;
    let target: string;
    beforeAll(async () => {
      const config = specConfig();
      engines = await startEmbeddedEngines(config);
      server = createRelayGrpcServer({ relay: createEmbeddedRelay(engines, config) });
      target = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    }, 60_000);
    afterAll(async () => {
      await server.close(1_000);
      await engines.close();
    });

    /** Everything but the timing and the prefill count (not observable through the API). */
    const comparable = (r: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(r).filter(([key]) => key !== 'latency_ms' && key !== 'llm_prefill_tokens'));

    it.each([
      ['relay', []],
      ['llm', []],
      ['random-router', ['--p', '0.5', '--seed', '5']],
      // One turn: no call at all, on both paths (the server must get limits.max_turns, not its default 5).
      ['relay', ['--max-turns', '1']],
      // Calls capped at one LLM token: the server must get limits.max_llm_tokens_per_call, or it grants the n asked for.
      ['relay', ['--max-llm-tokens-per-call', '1', '--call-bias=4']],
      // The served confidence floor: the server must get confidence_floor (and 64 turns), or it makes fewer calls.
      ['relay-floor', ['--threshold', '0.999', '--k', '3']],
    ])('%s %j on 5 items', async (policy, options) => {
      const a = join(scratch, `emb-${policy}-${options.join('_')}`);
      const b = join(scratch, `tgt-${policy}-${options.join('_')}`);
      const common = ['--dataset', dataset, '--policy', policy, ...options, '--max-tokens', '24', '--concurrency', '2'];
      expect((await cli([...common, '--out', a])).code).toBe(0);
      const remote = await cli([...common, '--out', b, '--target', target]);
      expect(remote.code).toBe(0);
      const embedded = results(a);
      const viaServer = results(b);
      expect(embedded).toHaveLength(5);
      expect(viaServer.map(comparable)).toEqual(embedded.map(comparable));
      expect(viaServer.every((r) => r['llm_prefill_tokens'] === null)).toBe(true);
      const [sa, sb] = [summary(a), summary(b)];
      for (const key of ['n', 'accuracy', 'accuracy_ci95', 'llm_token_ratio', 'slm_tokens', 'llm_tokens', 'calls_per_answer', 'by_level', 'call_positions']) {
        expect([key, sb[key]]).toEqual([key, sa[key]]);
      }
      if (options.includes('--max-turns')) expect([sa['calls_per_answer'], sa['params']]).toEqual([0, { max_turns: 1 }]);
      if (options.includes('--max-llm-tokens-per-call')) {
        const calls = embedded.flatMap((r) => r['calls'] as Array<Record<string, number>>);
        expect(calls.every((c) => c['granted_n'] === Math.min(1, c['requested_n'] ?? 0))).toBe(true);
        expect(calls.some((c) => (c['requested_n'] ?? 0) > 1)).toBe(true);
        expect(sa['params']).toEqual({ call_bias: 4, max_llm_tokens_per_call: 1 });
      }
      if (policy === 'relay-floor') expect(embedded.flatMap((r) => r['calls'] as Array<Record<string, number>>).some((c) => c['requested_n'] === 3)).toBe(true);
    }, 60_000);

    it('a policy that changes the SLM decoding is refused with --target (exit 2 via the CLI)', async () => {
      await expect(cli(['--dataset', dataset, '--policy', 'fixed', '--k', '2', '--out', join(scratch, 'x'), '--target', target])).rejects.toThrow(
        /runs on embedded engines only, not with --target/,
      );
    });
  });

  it('--resume runs only the items missing from results.jsonl and keeps every item once', async () => {
    const out = join(scratch, 'resume');
    const args = ['--dataset', dataset, '--policy', 'slm', '--max-tokens', '8', '--out', out];
    expect((await cli(args)).code).toBe(0);
    const before = readFileSync(join(out, 'results.jsonl'), 'utf8');
    // Drop the last two lines (as if interrupted), resume: the two run again, nothing is duplicated.
    writeFileSync(join(out, 'results.jsonl'), `${before.split('\n').filter((l) => l !== '').slice(0, 3).join('\n')}\n`);
    expect((await cli([...args, '--resume'])).code).toBe(0);
    expect(results(out).map((r) => r['index'])).toEqual([0, 1, 2, 3, 4]);
    expect(summary(out)['n']).toBe(5);
    // Another student in --models: its answers must not join this run's (run.json says which models made it).
    const kept = readFileSync(join(out, 'results.jsonl'), 'utf8');
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    const otherStudent = runCli(['eval', ...args, '--resume', '--models', join(MODELS, 'stages', 'sft')], io);
    await expect(otherStudent).rejects.toThrow(/cannot resume .*engines\.slm: was "sha256:[0-9a-f]{64}", now "sha256:[0-9a-f]{64}"/);
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8')).toBe(kept);
  }, 60_000);

  it('--sweep writes one sub-directory per value and sweep.json', async () => {
    const out = join(scratch, 'sweep');
    const run = await cli(['--dataset', dataset, '--policy', 'random-router', '--sweep', '0,1', '--limit', '2', '--max-tokens', '8', '--out', out]);
    expect(run.code).toBe(0);
    expect(summary(join(out, 'p=0'))).toMatchObject({ llm_token_ratio: 0, params: { p: 0, seed: 0 } });
    expect(summary(join(out, 'p=1'))).toMatchObject({ llm_token_ratio: 1, label: 'random-router(p=1)' });
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as unknown[];
    expect(sweep).toHaveLength(2);
  }, 60_000);

  it('spawned: a missing or empty dataset exits 2 naming the file; a malformed line is reported with its line number', async () => {
    const missing = join(scratch, 'missing.jsonl');
    const r1 = await spawned(['eval', '--dataset', missing, '--policy', 'slm', '--out', join(scratch, 'm')]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(`cannot read dataset ${missing}: file does not exist`);
    const empty = join(scratch, 'empty.jsonl');
    writeFileSync(empty, '');
    const r2 = await spawned(['eval', '--dataset', empty, '--policy', 'slm', '--out', join(scratch, 'e')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`dataset ${empty} has no valid items`);
    const mixed = join(scratch, 'mixed.jsonl');
    writeFileSync(mixed, `${JSON.stringify(EVAL_ITEMS[0])}\n{broken\n`);
    const r3 = await spawned(['eval', '--dataset', mixed, '--policy', 'slm', '--max-tokens', '4', '--out', join(scratch, 'mx'), '--models', MODELS]);
    expect(r3.code).toBe(0);
    expect(r3.stderr).toContain(`${mixed}:2: skipped: not JSON`);
    expect(existsSync(join(scratch, 'mx', 'summary.json'))).toBe(true);
    const r4 = await spawned(['eval', '--dataset', mixed, '--policy', 'uncertainty', '--k', '2', '--out', join(scratch, 'u')]);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain('policy uncertainty needs --threshold');
  }, 60_000);
});
