import { chatTemplateFromFile } from '@relayllm/front-door';
import type { ChatTemplateSource } from '@relayllm/relay-core';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * The operator's chat template file (`--chat-template`: a tokenizer_config.json
 * or a .jinja file), read and parsed once at start by every app that takes one.
 * A file that cannot be read or parsed is a ConfigError naming `where` (the
 * setting) and the file: the app refuses to start with one clear line.
 */
export function readChatTemplateFile(path: string, where: string): ChatTemplateSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  ${where}: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return chatTemplateFromFile(path, text);
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
