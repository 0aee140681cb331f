import type { ModelDescription, RelayModels } from '../ports/model-description';
import { REFERENCE_CHAT_FORMAT } from './chat-format';
import { pairProfile, type ModelProfile, type RelayPairProfile, type TokenCommandSyntax } from './model-profile';
import { BYTE_LEVEL_TOKEN_IDS } from './vocabulary';

/**
 * The reference pair (models/reference, trained by training/): byte-level
 * vocabulary of 260 ids, `<call>` / `</call>` control tokens, EOS `</s>`, a
 * 512-token context, and `<s>` + question + `\n` as its chat format. These
 * constants are what LlamaCppEngine.describe() reads from its GGUF files
 * (checked by libs/engines' describe integration spec), given as code so that
 * the hosts that serve the reference pair without loading it (the orchestrator,
 * specs) have the same profile.
 */
export const REFERENCE_CONTEXT_LENGTH = 512;

/** sha256 of the GGUF token list, as the llama.cpp adapter computes it (both files share it). */
export const REFERENCE_VOCABULARY_ID = 'gguf-tokens-sha256:4da6265016fc68dfc1d95756287dd91e92445e476e146e944dc0c2bcef756efb';

const ASCII_ZERO = 0x30;
const ASCII_NINE = 0x39;

export const REFERENCE_COMMAND_SYNTAX: TokenCommandSyntax = {
  kind: 'token',
  callId: BYTE_LEVEL_TOKEN_IDS.CALL,
  endCallId: BYTE_LEVEL_TOKEN_IDS.END_CALL,
  digitsOf: (tokenId) => (tokenId >= ASCII_ZERO && tokenId <= ASCII_NINE ? String.fromCharCode(tokenId) : undefined),
};

/** One model of the reference pair, served with `contextLength` tokens (the GGUF's own 512 by default). */
export function referenceProfile(role: 'slm' | 'llm', contextLength: number = REFERENCE_CONTEXT_LENGTH): ModelProfile {
  return {
    name: `reference ${role}.gguf`,
    vocabularyId: REFERENCE_VOCABULARY_ID,
    commandSyntax: REFERENCE_COMMAND_SYNTAX,
    endOfTurnIds: [BYTE_LEVEL_TOKEN_IDS.EOS],
    contextLength,
  };
}

/** The reference pair: shared vocabulary, so token ids travel between the two views. */
export const REFERENCE_PAIR_PROFILE: RelayPairProfile = pairProfile(referenceProfile('slm'), referenceProfile('llm'));

function referenceDescription(role: 'slm' | 'llm', contextLength: number): ModelDescription {
  // The format computes its own ids (byte-level), so no tokenizer is needed to frame.
  return { profile: referenceProfile(role, contextLength), chat: { kind: 'format', format: REFERENCE_CHAT_FORMAT }, tokenizer: undefined };
}

/** The reference pair as a front door is given it; `contextLength`: the window the engines are served with. */
export function referenceModels(contextLength: number = REFERENCE_CONTEXT_LENGTH): RelayModels {
  return { slm: referenceDescription('slm', contextLength), llm: referenceDescription('llm', contextLength) };
}

/**
 * A described model that ships no chat template but is known by its
 * vocabulary: the reference pair's GGUFs (their format is code, not a
 * template). Any other description is returned as it is.
 */
export function withKnownChatFormat(description: ModelDescription): ModelDescription {
  if (description.chat !== undefined || description.profile.vocabularyId !== REFERENCE_VOCABULARY_ID) return description;
  return { ...description, chat: { kind: 'format', format: REFERENCE_CHAT_FORMAT } };
}
