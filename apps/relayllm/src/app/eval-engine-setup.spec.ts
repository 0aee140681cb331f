import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { evalEngineSetup } from './eval-engine-setup';

const sha = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('evalEngineSetup (what run.json says answered the questions)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eval-engines-'));
  writeFileSync(join(dir, 'slm.gguf'), 'student bytes');
  writeFileSync(join(dir, 'llm.gguf'), 'teacher bytes');

  it('names each GGUF of the models directory by its content, and the default chat format', async () => {
    const setup = await evalEngineSetup(loadConfig({ env: {}, flags: { modelsDir: dir } }), undefined);
    expect(setup).toEqual({ slm: sha('student bytes'), llm: sha('teacher bytes'), chat_template: 'default' });
  });

  it('a model file replaced in place is another setup', async () => {
    const other = mkdtempSync(join(tmpdir(), 'eval-engines-'));
    writeFileSync(join(other, 'slm.gguf'), 'retrained student bytes');
    writeFileSync(join(other, 'llm.gguf'), 'teacher bytes');
    const setup = await evalEngineSetup(loadConfig({ env: {}, flags: { modelsDir: other } }), undefined);
    expect(setup['slm']).toBe(sha('retrained student bytes'));
    expect(setup['llm']).toBe(sha('teacher bytes'));
  });

  it('names a server by its address and model, a chat template file by its content, --target by its address', async () => {
    writeFileSync(join(dir, 'template.jinja'), '{{ messages }}');
    const config = loadConfig({
      env: {},
      flags: { modelsDir: dir, llmModel: 'http://127.0.0.1:8000/v1#teacher-8b', chatTemplate: join(dir, 'template.jinja') },
    });
    expect(await evalEngineSetup(config, undefined)).toEqual({
      slm: sha('student bytes'),
      llm: 'http://127.0.0.1:8000#teacher-8b',
      chat_template: sha('{{ messages }}'),
    });
    expect(await evalEngineSetup(config, '127.0.0.1:50051')).toEqual({ target: '127.0.0.1:50051' });
  });
});
