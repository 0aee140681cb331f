import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelayClient } from '@relayllm/grpc-api';
import { dashboardPanels, promtoolCheckMetrics, readExposition, unansweredSeries } from '@relayllm/observability/testing';
import { IN_TASK_PROMPT, referenceModelDir, repoRoot, SHORT_PROMPT, TWO_CALL_PROMPT } from '@relayllm/testing';

/** The `relayllm` command as `npx relayllm` runs it: the bin launcher in a child process. */
const BIN = join(repoRoot, 'apps/relayllm/bin/relayllm.cjs');
const MODELS = referenceModelDir();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  // stdout is a pipe, not a TTY: LLM spans are marked with [[...]].
  return spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

function run(args: string[]): Promise<Run> {
  const child = start(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe('relayllm CLI (spawned, real models)', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'relayllm-cli-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('generate --json prints the response object with the gRPC API field names', async () => {
    const { code, stdout, stderr } = await run(['generate', IN_TASK_PROMPT, '--json', '--max-tokens', '24', '--models', MODELS]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const body = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['call_records', 'finish_reason', 'request_id', 'text', 'usage']);
    expect(body['finish_reason']).toMatch(/^FINISH_REASON_(EOS|LLM_EOS|LENGTH|STOP)$/);
    expect(typeof body['text']).toBe('string');
    const usage = body['usage'] as Record<string, number>;
    expect(Object.keys(usage).sort()).toEqual(
      ['calls', 'llm_token_ratio', 'llm_tokens', 'malformed_commands', 'no_call_commands', 'response_tokens', 'slm_tokens'].sort(),
    );
    expect(usage['slm_tokens'] + usage['llm_tokens']).toBe(usage['response_tokens']);
    expect(usage['response_tokens']).toBeLessThanOrEqual(24);
  }, 30_000);

  it('generate marks LLM-written text with [[...]] when stdout is not a terminal, then prints a usage line', async () => {
    const { code, stdout } = await run(['generate', SHORT_PROMPT, '--policy', 'llm', '--max-tokens', '8', '--models', MODELS]);
    expect(code).toBe(0);
    const [answer, usage] = stdout.split(/\n(?=\[usage\])/);
    expect(answer).toMatch(/^\[\[[^]*\]\]\n?$/s);
    expect(usage).toMatch(/^\[usage\] slm 0 tokens, llm \d+ tokens, 0 calls, ρ 1\.000, finish \w+\n$/);
  }, 30_000);

  it('generate stops quietly when its reader closes the pipe early (`| head -1`): no EPIPE, exit 0', async () => {
    const child = start(['generate', IN_TASK_PROMPT, '--max-tokens', '64', '--models', MODELS]);
    let stderr = '';
    let firstChunk = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // Close our end after the first chunk, as `head -1` does: the CLI's next write gets EPIPE.
    child.stdout?.once('data', (d: Buffer) => {
      firstChunk = d.toString();
      child.stdout?.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(firstChunk).not.toBe('');
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/EPIPE|Unhandled 'error' event/) });
    expect(stderr).not.toMatch(STACK_FRAME);
  }, 30_000);

  it('a bad flag is refused before the models load, naming the field (exit 2)', async () => {
    const { code, stderr } = await run(['generate', 'x', '--max-tokens', '0', '--models', join(scratch, 'nowhere')]);
    expect(code).toBe(2);
    expect(stderr).toContain('max_tokens');
    expect(stderr).not.toMatch(STACK_FRAME);
  }, 30_000);

  describe('a missing or corrupt model file: refuses to start, names the file, no stack trace', () => {
    const slm = (): string => join(MODELS, 'slm.gguf');
    const llmBytes = (): Buffer => readFileSync(join(MODELS, 'llm.gguf'));
    it.each([
      ['missing', () => undefined],
      ['not a GGUF file', () => Buffer.from('not a model')],
      ['truncated (llama.cpp refuses it)', () => llmBytes().subarray(0, Math.floor(llmBytes().length / 2))],
    ])('llm.gguf %s', async (name, content) => {
      const dir = join(scratch, name.replace(/\W+/g, '-'));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const bytes = content();
      symlinkSync(slm(), join(dir, 'slm.gguf'));
      if (bytes !== undefined) writeFileSync(join(dir, 'llm.gguf'), bytes);
      const { code, stdout, stderr } = await run(['generate', SHORT_PROMPT, '--models', dir]);
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toContain(`cannot load model ${join(dir, 'llm.gguf')}`);
      expect(stderr).not.toMatch(STACK_FRAME);
    }, 30_000);
  });

  it('serve logs its address, answers over gRPC and shuts down gracefully on SIGTERM', async () => {
    const child = start(['serve', '--port', '0', '--models', MODELS]);
    let stderr = '';
    const address = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        const match = /serving \S+ .* on (127\.0\.0\.1:\d+)/.exec(stderr);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`serve exited early:\n${stderr}`)));
    });
    const client = createRelayClient(address);
    try {
      const response = await client.generate({ prompt: SHORT_PROMPT, maxTokens: 4 });
      expect(response.usage?.responseTokens).toBeGreaterThan(0);
    } finally {
      client.close();
    }
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('relayllm: stopped');
  }, 30_000);

  it('serve prints one ready line on stderr (as its README says) with address=, http=, metrics= and pid=; stdout stays empty', async () => {
    const child = start(['serve', '--port', '0', '--http-port', '0', '--models', MODELS], { RELAYLLM_METRICS_PORT: '0' });
    let stderr = '';
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        const match = /^relayllm: ready address=(127\.0\.0\.1:\d+) http=(\d+) metrics=(\d+) pid=(\d+) \(.*\)$/m.exec(stderr);
        if (match !== null) resolve(match);
      });
      child.on('close', () => reject(new Error(`serve exited early:\n${stderr}`)));
    });
    const [, address, httpPort, metricsPort, pid] = ready;
    expect(Number(pid)).toBe(child.pid);
    expect(stderr).toContain(`on ${address}`);
    expect((await fetch(`http://127.0.0.1:${httpPort}/health`)).ok).toBe(true);
    // After a generation that calls the LLM, Prometheus' linter accepts /metrics and every dashboard panel not marked cluster-only has data.
    const client = createRelayClient(address!);
    try {
      expect((await client.generate({ prompt: TWO_CALL_PROMPT, maxTokens: 128, temperature: 0 })).usage?.calls).toBeGreaterThan(0);
    } finally {
      client.close();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(promtoolCheckMetrics(metrics)).toEqual({ status: 0, output: '' });
    expect(unansweredSeries(dashboardPanels().filter((p) => !p.clusterOnly), readExposition(metrics), 'sampled')).toEqual([]);
    expect(stdout).toBe('');
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);

  it('serve --http-port prints the playground and OpenAI URLs, serves both and stops both on SIGTERM', async () => {
    const child = start(['serve', '--port', '0', '--http-port', '0', '--models', MODELS]);
    let stderr = '';
    const origin = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        const match = /playground: (http:\/\/127\.0\.0\.1:\d+)\/\n[^\n]*OpenAI-compatible API: base URL (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stderr);
        if (match?.[1] !== undefined && match[1] === match[2]) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`serve exited early:\n${stderr}`)));
    });
    expect((await fetch(`${origin}/`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'relayllm', messages: [{ role: 'user', content: SHORT_PROMPT }], max_tokens: 4 }),
    });
    expect(((await response.json()) as { usage: { relay: { slm_tokens: number } } }).usage.relay.slm_tokens).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('relayllm: stopped');
  }, 30_000);
});
