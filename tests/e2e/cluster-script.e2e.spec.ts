/**
 * `npm run cluster` (scripts/cluster.ts) as an operator runs it, on free
 * ports instead of 4222 / 6379 / 50051: it starts secured (NATS and Redis
 * refuse a client without credentials, the API serves), removes its secrets
 * when stopped, and refuses to run secured on a NATS it did not start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createRelayClient } from '@relayllm/grpc-api';
import { connectNats } from '@relayllm/nats-transport';
import { freePort, OFF_TASK_PROMPT, repoRoot, startNatsServer } from '@relayllm/testing';

jest.setTimeout(240_000);

interface ScriptRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runClusterScript(env: Record<string, string>): ScriptRun {
  const child = spawn(process.execPath, ['-r', join(repoRoot, 'apps/relayllm/bin/ts-runtime.cjs'), join(repoRoot, 'scripts/cluster.ts')], {
    cwd: repoRoot,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^RELAYLLM_/.test(name))), NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function until(what: string, check: () => boolean, run: ScriptRun, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${what}; stderr:\n${run.stderr().slice(-4_000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const redisAnswer = (port: number, command: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(command));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().trim());
    });
    socket.once('error', reject);
  });

describe('npm run cluster (scripts/cluster.ts)', () => {
  it('starts secured: NATS and Redis refuse clients without credentials, the API serves, the secrets go with it', async () => {
    const ports = { nats: await freePort(), redis: await freePort() };
    // The API port is the OS's pick, read from the ready line: a port found free before the workers
    // load their models may be taken by then (a worker's own port 0, another suite), and it was once.
    const run = runClusterScript({
      RELAYLLM_CLUSTER_NATS_PORT: String(ports.nats),
      RELAYLLM_CLUSTER_REDIS_PORT: String(ports.redis),
      RELAYLLM_ORCHESTRATOR_PORT: '0',
    });
    try {
      await until('ready line', () => run.stdout().includes('RelayLLM cluster:'), run, 180_000);
      const api = /RelayLLM cluster: public gRPC API \(relayllm\.v1\.RelayService\) on (\S+)/.exec(run.stdout())?.[1];
      expect(api).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      expect(run.stderr()).toContain('checked: NATS and Redis refuse clients without credentials');
      await expect(connectNats({ servers: `nats://127.0.0.1:${ports.nats}`, name: 'stranger', connectTimeoutMs: 3_000 })).rejects.toThrow(/Authorization Violation/);
      expect(await redisAnswer(ports.redis, 'PING\r\n')).toMatch(/^-NOAUTH/);
      const client = createRelayClient(api ?? '');
      try {
        const response = await client.generate({ prompt: OFF_TASK_PROMPT, maxTokens: 16, temperature: 0 }, { timeoutMs: 60_000 });
        expect(response.text.length).toBeGreaterThan(0);
      } finally {
        client.close();
      }
      const secretsDir = /Credentials of each role: (\S+)\/<role>\.env/.exec(run.stdout())?.[1] ?? '';
      expect(existsSync(join(secretsDir, 'orchestrator.env'))).toBe(true);
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
      expect(existsSync(secretsDir)).toBe(false);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('refuses to run secured on a NATS server it did not start, and says how to go on', async () => {
    const foreign = await startNatsServer();
    try {
      const run = runClusterScript({ RELAYLLM_CLUSTER_NATS_PORT: String(foreign.port), RELAYLLM_CLUSTER_REDIS_PORT: String(await freePort()) });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`something already listens on 127.0.0.1:${foreign.port} (not started by this script)`);
      expect(run.stderr()).toContain('set RELAYLLM_INSECURE=true to use it in plain mode');
    } finally {
      await foreign.stop();
    }
  });
});
