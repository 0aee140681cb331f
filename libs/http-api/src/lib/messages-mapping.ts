import { InvalidArgumentReason, RelayError, type ChatMessage, type ChatRole } from '@relayllm/relay-core';
import { unsupported } from './json-fields';

/** OpenAI's roles as a chat template sees them; `developer` is the newer name of `system`. */
const ROLE_FROM_WIRE: ReadonlyMap<string, ChatRole> = new Map<string, ChatRole>([
  ['system', 'system'],
  ['developer', 'system'],
  ['user', 'user'],
  ['assistant', 'assistant'],
]);

/** Roles of tool calling, which RelayLLM does not serve. */
const TOOL_ROLES: ReadonlySet<string> = new Set(['tool', 'function']);

const invalid = (message: string, field: string): RelayError => RelayError.invalidArgument(InvalidArgumentReason.MESSAGES_INVALID, message, field);

/**
 * OpenAI `messages` -> the conversation the chat template renders. A content
 * is a string or a list of text parts (joined with newlines, as vLLM does);
 * other parts (images, audio, files) and tool calling are PARAMETER_UNSUPPORTED.
 * The list itself (empty, no user message) is checked by relay-core.
 */
export function toChatMessages(wire: readonly unknown[]): ChatMessage[] {
  return wire.map((entry, i) => {
    const field = `messages[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalid(`${field} must be an object`, field);
    const message = entry as Record<string, unknown>;
    const wireRole = message['role'];
    if (typeof wireRole === 'string' && TOOL_ROLES.has(wireRole)) throw unsupported(`${field}.role`, `the ${wireRole} role (tool calling)`);
    const role = typeof wireRole === 'string' ? ROLE_FROM_WIRE.get(wireRole) : undefined;
    if (role === undefined) {
      throw invalid(`${field}.role must be one of system, developer, user, assistant; got ${JSON.stringify(wireRole)}`, `${field}.role`);
    }
    const toolCalls = message['tool_calls'];
    if (Array.isArray(toolCalls) && toolCalls.length > 0) throw unsupported(`${field}.tool_calls`, 'tool calling');
    return { role, content: contentText(message['content'], `${field}.content`) };
  });
}

function contentText(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw invalid(`${field} must be a string or a list of content parts`, field);
  return content
    .map((part: unknown, j) => {
      const partField = `${field}[${j}]`;
      if (typeof part !== 'object' || part === null) throw invalid(`${partField} must be a content part object`, partField);
      const { type, text } = part as Record<string, unknown>;
      if (type !== 'text') throw unsupported(`${partField}.type`, `content of type ${JSON.stringify(type)}`);
      if (typeof text !== 'string') throw invalid(`${partField}.text must be a string`, `${partField}.text`);
      return text;
    })
    .join('\n');
}
