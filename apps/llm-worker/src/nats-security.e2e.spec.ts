import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@relayllm/testing';
import { loadLlmWorkerNatsSecurity } from './app/config';

/** NATS credentials / TLS from config; a half-configured setup stops the worker before it loads a model. */
describe('llm-worker NATS security settings', () => {
  it('passes credentials and TLS files to the NATS client', () => {
    const env = { RELAYLLM_NATS_USER: 'relay', RELAYLLM_NATS_PASSWORD: 'pw', RELAYLLM_NATS_TLS_CA_FILE: '/etc/relayllm/nats/ca.crt' };
    expect(loadLlmWorkerNatsSecurity(env, 'nats://nats:4222')).toEqual({ user: 'relay', pass: 'pw', tls: { caFile: '/etc/relayllm/nats/ca.crt' } });
  });

  it('the process refuses to start on a NATS user without a password, naming the setting', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, 'apps/llm-worker/bin/llm-worker.cjs')], {
      env: { ...process.env, NODE_OPTIONS: '', RELAYLLM_NATS_USER: 'relay', RELAYLLM_NATS_PASSWORD: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2); // a configuration refused at start (app-kit's EXIT.config)
    expect(run.stdout).not.toContain('ready');
    expect(run.stderr).toContain('RELAYLLM_NATS_USER is set but RELAYLLM_NATS_PASSWORD is not');
  });
});
