import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@relayllm/testing';

/**
 * Both worker processes read their NATS security settings at start and refuse
 * a half-configured setup before they load a model: exit 2 (app-kit's
 * EXIT.config), no ready line, the setting named. The mapping of the settings
 * themselves is libs/security's nats-security.spec.ts.
 */
describe.each(['llm-worker', 'slm-worker'])('%s start-up', (app) => {
  it('refuses to start on a NATS user without a password, naming the setting', () => {
    const run = spawnSync(process.execPath, [join(repoRoot, `apps/${app}/bin/${app}.cjs`)], {
      env: { ...process.env, NODE_OPTIONS: '', RELAYLLM_NATS_USER: 'relay', RELAYLLM_NATS_PASSWORD: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stdout).not.toContain('ready');
    expect(run.stderr).toContain('RELAYLLM_NATS_USER is set but RELAYLLM_NATS_PASSWORD is not');
  });
});
