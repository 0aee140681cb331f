import { Policy } from '@relayllm/proto';
import { DEFAULT_FAULTS } from './fault-spec';
import { parseChaosArgs } from './options';

describe('parseChaosArgs', () => {
  it('defaults: the whole matrix, 200 generations at concurrency 32, seed 1, table only, secured', () => {
    const options = parseChaosArgs([]);
    expect(options.faults.map((f) => f.name)).toEqual(DEFAULT_FAULTS);
    expect(options).toMatchObject({ n: 200, concurrency: 32, seed: 1, maxTokens: 128, deadlineMs: 30_000, policy: Policy.POLICY_RELAY, json: undefined, insecure: false, logs: undefined, help: false });
  });

  it('reads every flag, as `--flag value` or `--flag=value`', () => {
    const options = parseChaosArgs(['--faults', 'nats-kill-3s,llm-kill', '--n=40', '--concurrency', '8', '--seed', '7', '--max-tokens', '64', '--deadline-ms=5000', '--insecure', '--policy', 'llm-only', '--logs', '/tmp/chaos-logs']);
    expect(options.faults.map((f) => f.name)).toEqual(['nats-kill-3s', 'llm-kill']);
    expect(options).toMatchObject({ n: 40, concurrency: 8, seed: 7, maxTokens: 64, deadlineMs: 5_000, insecure: true, policy: Policy.POLICY_LLM_ONLY, logs: '/tmp/chaos-logs' });
  });

  it('--json alone goes to stdout; --json FILE to the file', () => {
    expect(parseChaosArgs(['--json']).json).toEqual({ to: 'stdout' });
    expect(parseChaosArgs(['--json', '--n', '5'])).toMatchObject({ json: { to: 'stdout' }, n: 5 });
    expect(parseChaosArgs(['--json', 'out.json', '--n', '5'])).toMatchObject({ json: { to: 'file', path: 'out.json' }, n: 5 });
    expect(parseChaosArgs(['--json=out.json']).json).toEqual({ to: 'file', path: 'out.json' });
  });

  it('names the flag of a bad value, and an unknown argument', () => {
    expect(() => parseChaosArgs(['--n', '0'])).toThrow(/--n: "0" is not an integer in \[1, 100000\]/);
    expect(() => parseChaosArgs(['--concurrency', '2.5'])).toThrow(/--concurrency: "2.5"/);
    expect(() => parseChaosArgs(['--seed'])).toThrow(/--seed: needs a value/);
    expect(() => parseChaosArgs(['--n', '--seed', '3'])).toThrow(/--n: needs a value/);
    expect(() => parseChaosArgs(['--faults'])).toThrow(/--faults: needs a value/);
    expect(() => parseChaosArgs(['--logs'])).toThrow(/--logs: needs a folder/);
    expect(() => parseChaosArgs(['--policy', 'slm'])).toThrow(/--policy: "slm" is not one of relay, llm-only/);
    expect(() => parseChaosArgs(['--fault', 'llm-kill'])).toThrow(/unknown argument "--fault"/);
    expect(() => parseChaosArgs(['--faults', 'llm-kill-3s'])).toThrow(/stays down/);
  });
});
