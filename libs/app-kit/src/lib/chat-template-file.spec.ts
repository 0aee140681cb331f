import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readChatTemplateFile } from './chat-template-file';
import { ConfigError } from './config-error';

describe('readChatTemplateFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-template-'));

  it('reads a .jinja file as the template and a tokenizer_config.json for its chat_template and special tokens', () => {
    writeFileSync(join(dir, 't.jinja'), '{{ messages[0].content }}');
    expect(readChatTemplateFile(join(dir, 't.jinja'), '--chat-template')).toMatchObject({ template: '{{ messages[0].content }}', origin: join(dir, 't.jinja') });
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{{ bos_token }}x', bos_token: '<s>' }));
    expect(readChatTemplateFile(join(dir, 'tokenizer_config.json'), '--chat-template')).toMatchObject({ template: '{{ bos_token }}x', bosToken: '<s>' });
  });

  it('a missing or unparsable file is a ConfigError naming the setting and the file', () => {
    const missing = join(dir, 'nope.json');
    expect(() => readChatTemplateFile(missing, 'RELAYLLM_CHAT_TEMPLATE')).toThrow(ConfigError);
    expect(() => readChatTemplateFile(missing, 'RELAYLLM_CHAT_TEMPLATE')).toThrow(new RegExp(`RELAYLLM_CHAT_TEMPLATE: cannot read ${missing}`));
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(() => readChatTemplateFile(join(dir, 'bad.json'), '--chat-template')).toThrow(/--chat-template: .*bad\.json/);
  });
});
