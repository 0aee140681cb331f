import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startAppProcess } from './app-process';

function script(body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'app-process-')), 'app.js');
  writeFileSync(file, body);
  return file;
}

describe('startAppProcess', () => {
  it('resolves with the ready line match and stops the process with SIGTERM', async () => {
    const file = script(`process.on('SIGTERM', () => { console.error('bye'); process.exit(0); }); process.stdout.write('booting\\nREADY port=4242\\n'); setInterval(() => {}, 1000);`);
    const app = await startAppProcess({ name: 'demo', script: file, readyLine: /^READY port=(\d+)$/ });
    expect(app.ready[1]).toBe('4242');
    await app.stop();
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.output()).toContain('bye');
  });

  it('kill() is kill -9', async () => {
    const file = script(`process.on('SIGTERM', () => {}); console.log('READY'); setInterval(() => {}, 1000);`);
    const app = await startAppProcess({ name: 'demo', script: file, readyLine: /^READY$/ });
    app.kill();
    expect((await app.exited).signal).toBe('SIGKILL');
    await app.stop(); // idempotent after exit
  });

  it('rejects, with the output, when the process exits before it is ready', async () => {
    const file = script(`console.error('no model'); process.exit(3);`);
    await expect(startAppProcess({ name: 'demo', script: file, readyLine: /^READY$/ })).rejects.toThrow(/demo exited \(code 3.*no model/s);
  });
});
