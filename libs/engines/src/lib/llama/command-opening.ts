import { CALL_OPEN_TEXT, COMMAND_MARKERS, detectCommandSyntax } from '@relayllm/relay-core';
import type { LlamaModel } from '@relayllm/llama-cpp';

/**
 * The ids that open a command in the model's own command syntax: what a
 * request's `callBias` is added to (relay-core EngineRequest.callBias).
 * - Token syntax (the reference pair): the `<call>` control id.
 * - Text syntax (Qwen3, Llama 3.1): the first token of `<call>` tokenized as
 *   plain text, and the first token of ` <call>`: a BPE model writing a
 *   command after a word emits the space-prefixed token (`" <"`), one after a
 *   newline or at the start the bare one (`"<"`). Those tokens also begin other
 *   text (`<` in an expression), so a text-syntax bias is coarser than a
 *   control-token one: the price of commands written as text.
 */
export function commandOpeningIds(model: LlamaModel): readonly number[] {
  const tokenize = (text: string, special: boolean): number[] => [...model.tokenize(text, special)];
  const [callIds, endCallIds] = COMMAND_MARKERS.map((marker) => tokenize(marker, true));
  const syntax = detectCommandSyntax({ callIds, endCallIds, digitsOf: () => undefined });
  if (syntax.kind === 'token') return [syntax.callId];
  const firsts = [tokenize(CALL_OPEN_TEXT, false)[0], tokenize(` ${CALL_OPEN_TEXT}`, false)[0]];
  return [...new Set(firsts.filter((id): id is number => id !== undefined))];
}
