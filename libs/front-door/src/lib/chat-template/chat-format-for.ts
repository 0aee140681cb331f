import { InvalidArgumentReason, RelayError, type ChatFormat, type ChatTemplateSource, type ModelDescription } from '@relayllm/relay-core';
import { TemplateChatFormat } from './template-chat-format';

/**
 * THE chat format of a deployment: the SLM frames the question and both
 * models continue the same text. An operator's template (`override`) wins;
 * else the SLM's own template, rendered here, or its format given as code
 * (the reference pair). Built once at start, so a template that does not
 * render fails the start, naming the model and the cause.
 */
export function chatFormatFor(slm: ModelDescription, override?: ChatTemplateSource): ChatFormat {
  const name = slm.profile.name;
  if (override !== undefined) return new TemplateChatFormat(override, name, slm.tokenizer);
  const chat = slm.chat;
  if (chat === undefined) {
    throw RelayError.invalidArgument(
      InvalidArgumentReason.CHAT_TEMPLATE_MISSING,
      `model "${name}" ships no chat template: give one (its tokenizer_config.json or a .jinja file)`,
      'chatTemplate',
    );
  }
  return chat.kind === 'format' ? chat.format : new TemplateChatFormat(chat.source, name, slm.tokenizer);
}
