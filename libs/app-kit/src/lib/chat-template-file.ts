import { chatTemplateFromFile } from '@relayllm/front-door';
import type { ChatTemplateSource } from '@relayllm/relay-core';
import { readFileSync } from 'node:fs';

/**
 * The operator's chat template file (`--chat-template`: a tokenizer_config.json
 * or a .jinja file), read and parsed once at start by every app that takes one.
 * Throws an Error whose message starts with `where` and names the file.
 */
export function readChatTemplateFile(path: string, where: string): ChatTemplateSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${where}: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    return chatTemplateFromFile(path, text);
  } catch (error) {
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
