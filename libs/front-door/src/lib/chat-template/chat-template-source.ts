import { InvalidArgumentReason, RelayError, type ChatTemplateSource } from '@relayllm/relay-core';

/**
 * Reading a chat template the operator gives for a model that ships none (an
 * OpenAI-compatible server) or to override the one it ships. Pure: the app
 * reads the file and passes its text here.
 *
 * - `tokenizer_config.json` (Hugging Face): `chat_template` is a string, or a
 *   list of `{name, template}` of which `default` is used (or `templateName`);
 *   `bos_token` / `eos_token` are strings or `{content}` objects.
 * - Any other file is the template itself (`.jinja`); its special-token
 *   strings can be given (from the model's tokenizer_config).
 */
export function chatTemplateFromFile(
  path: string,
  text: string,
  options: { templateName?: string; bosToken?: string; eosToken?: string } = {},
): ChatTemplateSource {
  if (path.toLowerCase().endsWith('.json')) return chatTemplateFromTokenizerConfig(parseJson(path, text), path, options.templateName);
  if (text.trim() === '') throw invalid(path, 'the template file is empty');
  const source: ChatTemplateSource = { template: text, origin: path };
  if (options.bosToken !== undefined) source.bosToken = options.bosToken;
  if (options.eosToken !== undefined) source.eosToken = options.eosToken;
  return source;
}

/** The chat template and special-token strings of a parsed tokenizer_config.json. */
export function chatTemplateFromTokenizerConfig(config: unknown, origin: string, templateName = 'default'): ChatTemplateSource {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid(origin, 'not a JSON object');
  const fields = config as Record<string, unknown>;
  const source: ChatTemplateSource = { template: pickTemplate(fields['chat_template'], origin, templateName), origin };
  const bos = tokenString(fields['bos_token'], 'bos_token', origin);
  const eos = tokenString(fields['eos_token'], 'eos_token', origin);
  if (bos !== undefined) source.bosToken = bos;
  if (eos !== undefined) source.eosToken = eos;
  return source;
}

function pickTemplate(value: unknown, origin: string, name: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (value === undefined || value === null) throw invalid(origin, 'no chat_template field');
  if (!Array.isArray(value)) throw invalid(origin, 'chat_template is neither a string nor a list of {name, template}');
  const named = value.filter(
    (entry): entry is { name: string; template: string } =>
      typeof entry === 'object' && entry !== null && typeof entry.name === 'string' && typeof entry.template === 'string',
  );
  const chosen = named.find((entry) => entry.name === name);
  if (chosen === undefined) {
    throw invalid(origin, `chat_template has no template named "${name}" (it has: ${named.map((e) => e.name).join(', ') || 'none'})`);
  }
  return chosen.template;
}

/** A special token as tokenizer_config writes it: a string, an AddedToken `{content}`, or null. */
function tokenString(value: unknown, field: string, origin: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  throw invalid(origin, `${field} is neither a string nor {content}`);
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(path, `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function invalid(origin: string, detail: string): RelayError {
  return RelayError.invalidArgument(InvalidArgumentReason.CHAT_TEMPLATE_INVALID, `chat template ${origin}: ${detail}`, 'chatTemplate');
}
