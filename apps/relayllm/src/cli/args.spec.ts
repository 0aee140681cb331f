import { parseCli, UsageError } from './args';
import type { EvalArgs } from './args';
import type { RelayllmConfig } from '../app/config';
import { evalSpecs, runEvalCommand } from './eval';
import { generateRequest } from './generate';
import { evalRelaySettings, policyLimits } from '../app/eval-runners';
import type { PolicySpec } from '@relayllm/eval';

describe('parseCli', () => {
  it('parses generate with its flags; --models is a configuration flag', () => {
    const parsed = parseCli(['generate', 'Compute 2+3.', '--policy', 'slm', '--json', '--max-tokens', '9', '--temperature', '0.5', '--seed', '7', '--models', 'm']);
    expect(parsed).toEqual({
      command: { command: 'generate', prompt: 'Compute 2+3.', policy: 'slm', json: true, maxTokens: '9', temperature: '0.5', seed: '7' },
      configFlags: { modelsDir: 'm' },
    });
  });

  it('every command that runs models takes the model flags as configuration flags', () => {
    const flags = ['--slm', 'q/slm.gguf', '--llm', 'http://h:8000/v1', '--chat-template', 't.json'];
    const expected = { slmModel: 'q/slm.gguf', llmModel: 'http://h:8000/v1', chatTemplate: 't.json' };
    expect(parseCli(['generate', 'hi', ...flags]).configFlags).toEqual(expected);
    expect(parseCli(['serve', ...flags]).configFlags).toEqual(expected);
    expect(parseCli(['eval', '--dataset', 'd', '--policy', 'relay', '--out', 'o', ...flags]).configFlags).toEqual(expected);
  });

  it('parses serve; help by default', () => {
    expect(parseCli(['serve', '--port', '0', '--host', '::', '--demo'])).toEqual({
      command: { command: 'serve', demo: true },
      configFlags: { port: '0', host: '::' },
    });
    expect(parseCli([]).command).toEqual({ command: 'help' });
  });

  it.each([[['generate']], [['generate', 'a', 'b']], [['generate', 'a', '--bogus']], [['serve', 'x']], [['nope']]])('refuses %j', (argv) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
  });
});

describe('generateRequest', () => {
  const base = { command: 'generate', prompt: 'p', json: false } as const;
  it('maps policy names and numbers; the default max tokens applies when unset', () => {
    expect(generateRequest({ ...base, policy: 'llm' }, { defaultMaxTokens: 77 })).toMatchObject({ policy: 'LLM_ONLY', maxTokens: 77, sampling: {} });
    expect(generateRequest({ ...base, policy: 'RELAY', temperature: '0', seed: '3', maxTokens: '5' }, { defaultMaxTokens: 77 })).toMatchObject({
      policy: 'RELAY',
      maxTokens: 5,
      sampling: { temperature: 0, seed: 3 },
    });
  });

  it('reads --call-bias=X (negative values written with =) into the request; garbage goes to the core as NaN', () => {
    const parsed = parseCli(['generate', 'p', '--call-bias=-2.5']).command;
    expect(parsed).toMatchObject({ callBias: '-2.5' });
    expect(generateRequest(parsed as typeof base & { policy: string }, { defaultMaxTokens: 1 }).callBias).toBe(-2.5);
    expect(generateRequest({ ...base, policy: 'relay', callBias: 'x' }, { defaultMaxTokens: 1 }).callBias).toBeNaN();
    expect('callBias' in generateRequest({ ...base, policy: 'relay' }, { defaultMaxTokens: 1 })).toBe(false);
  });

  it('reads --max-turns, --confidence-floor and --floor-tokens into the request; --floor-tokens alone is a usage error', () => {
    const parsed = parseCli(['generate', 'p', '--max-turns', '64', '--confidence-floor', '0.7', '--floor-tokens', '2']).command;
    const request = generateRequest(parsed as typeof base & { policy: string }, { defaultMaxTokens: 1 });
    expect([request.maxTurns, request.confidenceFloor]).toEqual([64, { threshold: 0.7, callTokens: 2 }]);
    expect(generateRequest({ ...base, policy: 'relay', confidenceFloor: '0.5' }, { defaultMaxTokens: 1 }).confidenceFloor).toEqual({ threshold: 0.5 });
    expect('confidenceFloor' in generateRequest({ ...base, policy: 'relay' }, { defaultMaxTokens: 1 })).toBe(false);
    expect(() => parseCli(['generate', 'p', '--floor-tokens', '2'])).toThrow(/--floor-tokens goes with --confidence-floor/);
  });

  it('passes unknown values through for the core to reject with the field named', () => {
    expect(generateRequest({ ...base, policy: 'fast', maxTokens: 'ten' }, { defaultMaxTokens: 1 })).toMatchObject({ policy: 'fast', maxTokens: NaN });
  });
});

describe('parseCli eval', () => {
  it('reads the eval flags; --models is a config flag', () => {
    const parsed = parseCli(['eval', '--dataset', 'd.jsonl', '--policy', 'uncertainty', '--threshold', '0.5', '--k', '4', '--entropy', '--out', 'o', '--resume', '--models', 'm', '--model-label', 'sft']);
    expect(parsed.command).toMatchObject({ command: 'eval', dataset: 'd.jsonl', policy: 'uncertainty', threshold: '0.5', k: '4', entropy: true, out: 'o', resume: true, modelLabel: 'sft' });
    expect(parsed.configFlags).toEqual({ modelsDir: 'm' });
  });

  it('sweeps relay over call_bias values: one spec and one call_bias=<v> directory each', () => {
    const parsed = parseCli(['eval', '--dataset', 'd', '--policy', 'relay', '--out', 'o', '--sweep=-2,0,2.5']).command as EvalArgs;
    const { specs, dirs, sweep } = evalSpecs(parsed);
    expect([specs.map((s) => s.callBias), dirs, sweep]).toEqual([[-2, 0, 2.5], ['o/call_bias=-2', 'o/call_bias=0', 'o/call_bias=2.5'], true]);
    const single = evalSpecs(parseCli(['eval', '--dataset', 'd', '--policy', 'relay', '--out', 'o', '--call-bias=1']).command as EvalArgs);
    expect(single.specs.map((s) => s.callBias)).toEqual([1]);
    expect(() => evalSpecs({ ...parsed, callBias: '1' })).toThrow(/--call-bias and --sweep are exclusive/);
    expect(() => evalSpecs({ ...parsed, sweep: '-2,11' })).toThrow(/--call-bias must be a number in \[-10, 10\], got 11/);
  });

  it("eval ignores the operator's request defaults: its requests are what the policy says", () => {
    const config = { maxTokensLimit: 300, requestTimeoutMs: 9, defaultMaxTurns: 64, defaultConfidenceFloor: 0.9 } as RelayllmConfig;
    expect(evalRelaySettings(config)).toEqual({ maxTokensLimit: 300, requestTimeoutMs: 9, defaultMaxTurns: 5, defaultConfidenceFloor: 0 });
  });

  it('relay-floor: each swept T travels as the request\'s confidence floor with 64 turns; uncertainty gets the turns only', () => {
    const parsed = parseCli(['eval', '--dataset', 'd', '--policy', 'relay-floor', '--out', 'o', '--k', '4', '--sweep=0.5,0.9']).command as EvalArgs;
    expect(evalSpecs(parsed).specs.map((s) => policyLimits(s))).toEqual([
      { maxTurns: 64, confidenceFloor: { threshold: 0.5, callTokens: 4 } },
      { maxTurns: 64, confidenceFloor: { threshold: 0.9, callTokens: 4 } },
    ]);
    const uncertainty = parseCli(['eval', '--dataset', 'd', '--policy', 'uncertainty', '--out', 'o', '--k', '4', '--threshold', '0.5']).command as EvalArgs;
    expect(policyLimits(evalSpecs(uncertainty).specs[0] as PolicySpec)).toEqual({ maxTurns: 64 });
  });

  it('--max-llm-tokens-per-call N (relay): every swept spec carries it into the request limits', () => {
    const parsed = parseCli(['eval', '--dataset', 'd', '--policy', 'relay', '--out', 'o', '--max-llm-tokens-per-call', '2', '--sweep=0,1']).command as EvalArgs;
    expect(evalSpecs(parsed).specs.map((s) => [s.callBias, s.maxLlmTokensPerCall])).toEqual([[0, 2], [1, 2]]);
    expect(policyLimits(evalSpecs(parsed).specs[0] as PolicySpec)).toEqual({ callBias: 0, maxLlmTokensPerCall: 2 });
  });

  it('--max-turns N (relay): every swept spec carries it, and the request limits it travels in', () => {
    const parsed = parseCli(['eval', '--dataset', 'd', '--policy', 'relay', '--out', 'o', '--max-turns', '64', '--sweep=-1,0']).command as EvalArgs;
    expect(evalSpecs(parsed).specs.map((s) => [s.callBias, s.maxTurns])).toEqual([[-1, 64], [0, 64]]);
    expect(policyLimits(evalSpecs(parsed).specs[1] as PolicySpec)).toEqual({ callBias: 0, maxTurns: 64 });
    expect(policyLimits(evalSpecs({ ...parsed, sweep: undefined, maxTurns: undefined }).specs[0] as PolicySpec)).toEqual({});
  });

  it('--hide-commands (relay, eval only): parsed, swept with call_bias, refused elsewhere and with --target', async () => {
    const argv = ['eval', '--dataset', 'no-such.jsonl', '--policy', 'relay', '--out', 'o', '--hide-commands', '--sweep=-2,2'];
    const parsed = parseCli(argv).command as EvalArgs;
    expect(parsed.hideCommands).toBe(true);
    expect((parseCli(argv.slice(0, -2)).command as EvalArgs).hideCommands).toBe(false);
    const { specs } = evalSpecs(parsed);
    expect(specs.map((s) => [s.callBias, s.hideCommands])).toEqual([[-2, true], [2, true]]);
    expect(() => evalSpecs({ ...parsed, policy: 'slm', sweep: undefined })).toThrow(/policy slm takes no --hide-commands/);
    expect(() => parseCli(['generate', 'p', '--hide-commands'])).toThrow(UsageError);
    const config = { maxTokensLimit: 64, defaultMaxTokens: 8 } as RelayllmConfig;
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    // Refused before the dataset is read (the file does not exist, which would fail differently).
    await expect(runEvalCommand({ ...parsed, target: '127.0.0.1:1' }, config, io, new AbortController().signal)).rejects.toThrow(
      /policy relay --hide-commands .* embedded engines only, not with --target/,
    );
  });

  it.each([[['eval', '--policy', 'relay', '--out', 'o']], [['eval', '--dataset', 'd', '--out', 'o']], [['eval', '--dataset', 'd', '--policy', 'relay']], [['eval', 'x', '--dataset', 'd', '--policy', 'relay', '--out', 'o']]])(
    'refuses %j',
    (argv) => {
      expect(() => parseCli(argv)).toThrow(UsageError);
    },
  );
});

describe('parseCli report', () => {
  it('takes several run directories and --out / -o (default ./report); no configuration flags', () => {
    expect(parseCli(['report', 'a', '--out', 'o', 'b'])).toEqual({ command: { command: 'report', dirs: ['a', 'b'], out: 'o' }, configFlags: {} });
    expect(parseCli(['report', 'a', '-o', 'o2']).command).toMatchObject({ out: 'o2' });
    expect(parseCli(['report', 'a']).command).toMatchObject({ out: 'report' });
    expect(parseCli(['report', '--help']).command).toEqual({ command: 'help' });
  });

  it.each([[['report']], [['report', 'a', '--out']], [['report', 'a', '--bogus']], [['report', 'a', '--out=']]])('refuses %j', (argv) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
  });
});
