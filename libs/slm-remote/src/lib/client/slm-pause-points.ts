import type { CommandSyntax } from '@relayllm/relay-core';

/** Where a worker stops pulling its engine and waits for the client (pause_tokens / pause_arm_tokens of SlmGenerateRequest). */
export interface SlmPausePoints {
  pauseTokens: readonly number[];
  pauseArmTokens: readonly number[];
}

/**
 * The pause points of an SLM's command syntax. Token syntax: right after
 * `</call>`, armed by `<call>` (a stray `</call>` does not pause). Text
 * syntax: none. A command is several ordinary tokens there and its end is
 * known only by reading text, so the worker generates on until the client's
 * cancel reaches it; the relay drops what follows the command and the next
 * turn's KV plan keeps only the common prefix. Pausing is an optimisation
 * (fewer wasted tokens), never a matter of correctness.
 */
export function slmPausePoints(syntax: CommandSyntax): SlmPausePoints {
  if (syntax.kind === 'text') return { pauseTokens: [], pauseArmTokens: [] };
  return { pauseTokens: [syntax.endCallId], pauseArmTokens: [syntax.callId] };
}
