import { ConfigError } from '@relayllm/app-kit';
import { CLUSTER_DEFAULTS, CLUSTER_ENV, loadClusterConfig } from '../../scripts/cluster-config';

/** The settings of `npm run cluster` (scripts/cluster-config.ts): defaults, overrides, and a named refusal of each bad value. */

/** The ConfigError `env` gets (fails the test when there is none). */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadClusterConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('npm run cluster configuration', () => {
  it('takes every default from an empty environment (no /metrics, secured)', () => {
    expect(loadClusterConfig({})).toEqual({
      orchestratorPort: 50051,
      natsPort: 4222,
      redisPort: 6379,
      threads: 1,
      metricsPortBase: undefined,
      insecure: false,
    });
    expect(loadClusterConfig({})).toEqual({ ...CLUSTER_DEFAULTS });
  });

  it('counts empty and blank values as unset', () => {
    const blank = Object.fromEntries(Object.values(CLUSTER_ENV).map((name, i) => [name, i % 2 === 0 ? '' : '  ']));
    expect(loadClusterConfig(blank)).toEqual({ ...CLUSTER_DEFAULTS });
  });

  it('reads only its own variables (the orchestrator port by the orchestrator\'s name, the rest RELAYLLM_CLUSTER_*)', () => {
    expect(CLUSTER_ENV).toEqual({
      orchestratorPort: 'RELAYLLM_ORCHESTRATOR_PORT',
      natsPort: 'RELAYLLM_CLUSTER_NATS_PORT',
      redisPort: 'RELAYLLM_CLUSTER_REDIS_PORT',
      threads: 'RELAYLLM_CLUSTER_THREADS',
      metricsPortBase: 'RELAYLLM_CLUSTER_METRICS_PORT',
      insecure: 'RELAYLLM_INSECURE',
    });
    expect(loadClusterConfig({ RELAYLLM_PORT: '1', RELAYLLM_THREADS: '8', RELAYLLM_METRICS_PORT: '9000', RELAYLLM_NATS_INSECURE: 'true' })).toEqual({ ...CLUSTER_DEFAULTS });
  });

  it.each([
    ['RELAYLLM_ORCHESTRATOR_PORT', '50100', { orchestratorPort: 50100 }],
    ['RELAYLLM_ORCHESTRATOR_PORT', '0', { orchestratorPort: 0 }], // any free port, as the orchestrator reads it
    ['RELAYLLM_CLUSTER_NATS_PORT', '14222', { natsPort: 14222 }],
    ['RELAYLLM_CLUSTER_REDIS_PORT', '16379', { redisPort: 16379 }],
    ['RELAYLLM_CLUSTER_THREADS', '4', { threads: 4 }],
    ['RELAYLLM_CLUSTER_THREADS', ' 2 ', { threads: 2 }],
    ['RELAYLLM_CLUSTER_METRICS_PORT', '9464', { metricsPortBase: 9464 }],
    ['RELAYLLM_CLUSTER_METRICS_PORT', '65530', { metricsPortBase: 65530 }], // its five neighbours still fit
    ['RELAYLLM_INSECURE', 'true', { insecure: true }],
    ['RELAYLLM_INSECURE', 'TRUE', { insecure: true }],
    ['RELAYLLM_INSECURE', '1', { insecure: true }],
    ['RELAYLLM_INSECURE', 'yes', { insecure: true }],
    ['RELAYLLM_INSECURE', ' on ', { insecure: true }],
    ['RELAYLLM_INSECURE', 'false', { insecure: false }],
    ['RELAYLLM_INSECURE', '0', { insecure: false }],
    ['RELAYLLM_INSECURE', 'off', { insecure: false }],
  ])('%s=%j sets %j and nothing else', (name, value, expected) => {
    expect(loadClusterConfig({ [name]: value })).toEqual({ ...CLUSTER_DEFAULTS, ...expected });
  });

  it.each([
    ['RELAYLLM_ORCHESTRATOR_PORT', 'abc'],
    ['RELAYLLM_ORCHESTRATOR_PORT', '65536'],
    ['RELAYLLM_ORCHESTRATOR_PORT', '-1'],
    ['RELAYLLM_CLUSTER_NATS_PORT', '0'],
    ['RELAYLLM_CLUSTER_NATS_PORT', '4222x'],
    ['RELAYLLM_CLUSTER_NATS_PORT', '70000'],
    ['RELAYLLM_CLUSTER_REDIS_PORT', '0'],
    ['RELAYLLM_CLUSTER_REDIS_PORT', '6379.5'],
    ['RELAYLLM_CLUSTER_THREADS', 'abc'],
    ['RELAYLLM_CLUSTER_THREADS', '0'],
    ['RELAYLLM_CLUSTER_THREADS', '-2'],
    ['RELAYLLM_CLUSTER_THREADS', '1.5'],
    ['RELAYLLM_CLUSTER_THREADS', '1e2'],
    ['RELAYLLM_CLUSTER_METRICS_PORT', 'abc'],
    ['RELAYLLM_CLUSTER_METRICS_PORT', '0'],
    ['RELAYLLM_CLUSTER_METRICS_PORT', '65531'], // the last worker's port would pass 65535
    ['RELAYLLM_INSECURE', 'maybe'],
    ['RELAYLLM_INSECURE', 'ture'],
    ['RELAYLLM_INSECURE', '2'],
  ])('refuses %s=%j with a ConfigError naming the variable and the value', (name, value) => {
    const error = refusal({ [name]: value });
    expect(error.message).toContain(`${name}: `);
    expect(error.message).toContain(`"${value}"`);
    const others = Object.values(CLUSTER_ENV).filter((other) => other !== name);
    for (const other of others) expect(error.message).not.toContain(`${other}:`);
  });

  it('names every bad variable at once', () => {
    const error = refusal({ RELAYLLM_CLUSTER_THREADS: 'abc', RELAYLLM_CLUSTER_NATS_PORT: 'x', RELAYLLM_INSECURE: 'maybe' });
    expect(error.message).toMatch(/RELAYLLM_CLUSTER_NATS_PORT: .*"x"/);
    expect(error.message).toMatch(/RELAYLLM_CLUSTER_THREADS: .*"abc"/);
    expect(error.message).toMatch(/RELAYLLM_INSECURE: must be true or false, got "maybe"/);
  });
});
