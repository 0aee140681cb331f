import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@relayllm/testing';

const APPS = ['orchestrator', 'llm-worker', 'slm-worker'] as const;
const binOf = (app: string): string => join(repoRoot, `apps/${app}/bin/${app}.cjs`);
/** Nothing listens there: an app that got past its configuration fails to connect, it never serves. */
const CLOSED_NATS = 'nats://127.0.0.1:1';
/** The environment of a run: no security setting inherited from the shell running the tests. */
const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^RELAYLLM_/.test(name))),
  NODE_OPTIONS: '',
  RELAYLLM_NATS_URL: CLOSED_NATS,
  ...extra,
});
const run = (app: string, env: Record<string, string>) => spawnSync(process.execPath, [binOf(app)], { env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });

/**
 * The apps read their security settings at start and refuse, before they
 * load a model or connect: exit 2 (app-kit's EXIT.config), no ready line, the
 * setting named. The mapping of the settings themselves is libs/security's
 * specs.
 */
describe.each(['llm-worker', 'slm-worker'])('%s start-up', (app) => {
  it('refuses to start on a NATS user without a password, naming the setting', () => {
    const result = run(app, { RELAYLLM_NATS_USER: 'relay', RELAYLLM_NATS_PASSWORD: '' });
    expect(result.status).toBe(2);
    expect(result.stdout).not.toContain('ready');
    expect(result.stderr).toContain('RELAYLLM_NATS_USER is set but RELAYLLM_NATS_PASSWORD is not');
  });
});

describe('secure by default: no credentials and no insecure setting, no start', () => {
  it.each(APPS)('%s refuses NATS without credentials, naming the settings and the insecure switch', (app) => {
    const result = run(app, {});
    expect(result.status).toBe(2);
    expect(result.stdout).not.toContain('ready');
    expect(result.stderr).toContain('RELAYLLM_NATS_USER + RELAYLLM_NATS_PASSWORD (or RELAYLLM_NATS_TOKEN) not set');
    expect(result.stderr).toContain('RELAYLLM_NATS_INSECURE=true (or RELAYLLM_INSECURE=true)');
  });

  it('the orchestrator with NATS credentials still refuses Redis without a password, then SLM streams without mTLS', () => {
    const nats = { RELAYLLM_NATS_USER: 'relayllm-orchestrator', RELAYLLM_NATS_PASSWORD: 'x'.repeat(32) };
    const noRedis = run('orchestrator', nats);
    expect(noRedis.status).toBe(2);
    expect(noRedis.stderr).toContain('RELAYLLM_REDIS_PASSWORD not set');
    const noSlmTls = run('orchestrator', { ...nats, RELAYLLM_REDIS_PASSWORD: 'y'.repeat(32) });
    expect(noSlmTls.status).toBe(2);
    expect(noSlmTls.stderr).toContain('RELAYLLM_SLM_TLS_CA_FILE + RELAYLLM_SLM_TLS_CLIENT_CERT_FILE + RELAYLLM_SLM_TLS_CLIENT_KEY_FILE not set');
  });

  it('the SLM worker refuses a gRPC server without mTLS', () => {
    const result = run('slm-worker', { RELAYLLM_NATS_TOKEN: 't'.repeat(32) });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('RELAYLLM_SLM_TLS_CERT_FILE + RELAYLLM_SLM_TLS_KEY_FILE + RELAYLLM_SLM_TLS_CLIENT_CA_FILE not set');
  });
  it('a value of the insecure switch that is not a boolean is refused, naming it', () => {
    const result = run('llm-worker', { RELAYLLM_INSECURE: 'sure' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('RELAYLLM_INSECURE must be true or false, got "sure"');
  });
});

/** The stderr of `app` until `lines` warning lines appeared (or it exited); then it is stopped. */
function warningsOf(app: string, env: Record<string, string>, lines: number): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binOf(app)], { env: cleanEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const warnings = (): string[] => stderr.split('\n').filter((line) => line.startsWith('WARNING insecure mode:'));
    const finish = (): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(warnings());
    };
    const timer = setTimeout(finish, 60_000);
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
      if (warnings().length >= lines) finish();
    });
    child.once('exit', finish);
  });
}

describe('(e) plain mode, chosen explicitly, is logged', () => {
  it.each([
    ['orchestrator', ['NATS without credentials', 'Redis without a password', 'SLM streams without mutual TLS']],
    ['slm-worker', ['NATS without credentials', 'SLM streams without mutual TLS']],
    ['llm-worker', ['NATS without credentials']],
  ] as const)('%s with RELAYLLM_INSECURE=true logs one warning per plain channel', async (app, risks) => {
    const warnings = await warningsOf(app, { RELAYLLM_INSECURE: 'true' }, risks.length);
    expect(warnings).toHaveLength(risks.length);
    risks.forEach((risk, i) => expect(warnings[i]).toContain(risk));
    for (const warning of warnings) expect(warning).toContain('(RELAYLLM_INSECURE=true;');
  });

  it('a per-channel switch allows that channel only', async () => {
    const warnings = await warningsOf('llm-worker', { RELAYLLM_NATS_INSECURE: 'true' }, 1);
    expect(warnings).toEqual([expect.stringContaining('(RELAYLLM_NATS_INSECURE=true; missing RELAYLLM_NATS_USER')]);
  });
});
