/**
 * The chat format lives in relay-core (protocol/chat-format.ts) so that the
 * embedded app and the distributed orchestrator frame prompts identically.
 */
export { REFERENCE_CHAT_FORMAT, type ChatFormat, type FramedPrompt } from '@relayllm/relay-core';
