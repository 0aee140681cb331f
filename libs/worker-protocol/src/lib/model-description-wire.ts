import { createHash } from 'node:crypto';
import { CommandSyntaxKind, type DigitToken, type ModelChatTemplate, WorkerModelDescription } from '@relayllm/proto';
import {
  InvalidArgumentReason,
  RelayError,
  type ChatTemplateSource,
  type CommandSyntax,
  type ModelChat,
  type ModelDescription,
} from '@relayllm/relay-core';

/**
 * Token ids scanned for digit tokens when a token-syntax description goes on
 * the wire. `digitsOf` is a function, not a list, so the worker asks it for
 * every id below this bound (a Map lookup each, once at start); every known
 * vocabulary is far smaller (Gemma's 256k is the largest in use).
 */
export const DIGIT_TOKEN_SCAN_LIMIT = 1 << 20;

const DIGITS = /^[0-9]+$/;

/**
 * A model's description as a worker announces it: profile, chat template,
 * and in token syntax the digit tokens (`digitsOf` as a list). The tokenizer
 * stays on the worker (the orchestrator sends text). A chat format given as
 * code (the reference pair's) does not travel: the receiver knows it by
 * vocabulary id (relay-core's `withKnownChatFormat`).
 */
export function modelDescriptionToWire(description: ModelDescription): WorkerModelDescription {
  const { profile } = description;
  const syntax = profile.commandSyntax;
  return WorkerModelDescription.fromPartial({
    name: profile.name,
    vocabularyId: profile.vocabularyId,
    commandSyntax: syntax.kind === 'token' ? CommandSyntaxKind.COMMAND_SYNTAX_KIND_TOKEN : CommandSyntaxKind.COMMAND_SYNTAX_KIND_TEXT,
    callId: syntax.kind === 'token' ? syntax.callId : 0,
    endCallId: syntax.kind === 'token' ? syntax.endCallId : 0,
    digitTokens: syntax.kind === 'token' ? digitTokensOf(syntax.digitsOf) : [],
    endOfTurnIds: [...new Set(profile.endOfTurnIds)].sort((a, b) => a - b),
    contextLength: profile.contextLength,
    chatTemplate: description.chat?.kind === 'template' ? chatTemplateToWire(description.chat.source) : undefined,
  });
}

/**
 * A received description as relay-core's (no tokenizer: prompts travel as
 * text). A description the relay cannot serve is RelayError invalid_argument
 * MODEL_DESCRIPTION_INVALID naming `origin` (the worker) and the field.
 */
export function modelDescriptionFromWire(wire: WorkerModelDescription, origin: string): ModelDescription {
  const invalid = (detail: string): RelayError =>
    RelayError.invalidArgument(InvalidArgumentReason.MODEL_DESCRIPTION_INVALID, `model description from ${origin}: ${detail}`, 'model');
  if (wire.vocabularyId === '') throw invalid('no vocabulary_id');
  if (!Number.isInteger(wire.contextLength) || wire.contextLength < 2) throw invalid(`context_length ${wire.contextLength} is below 2`);
  return {
    profile: {
      name: wire.name === '' ? origin : wire.name,
      vocabularyId: wire.vocabularyId,
      commandSyntax: commandSyntaxFromWire(wire, invalid),
      endOfTurnIds: [...wire.endOfTurnIds],
      contextLength: wire.contextLength,
    },
    chat: chatFromWire(wire.chatTemplate, invalid),
    tokenizer: undefined,
  };
}

/** Lowercase hex sha256 of the encoded description: what a heartbeat carries and the describe subject names. */
export function modelDescriptionHash(wire: WorkerModelDescription): string {
  return createHash('sha256').update(WorkerModelDescription.encode(wire).finish()).digest('hex');
}

function digitTokensOf(digitsOf: (tokenId: number) => string | undefined): DigitToken[] {
  const tokens: DigitToken[] = [];
  for (let id = 0; id < DIGIT_TOKEN_SCAN_LIMIT; id += 1) {
    const digits = digitsOf(id);
    if (digits !== undefined && DIGITS.test(digits)) tokens.push({ tokenId: id, digits });
  }
  return tokens;
}

function commandSyntaxFromWire(wire: WorkerModelDescription, invalid: (detail: string) => RelayError): CommandSyntax {
  if (wire.commandSyntax === CommandSyntaxKind.COMMAND_SYNTAX_KIND_TEXT) return { kind: 'text' };
  if (wire.commandSyntax !== CommandSyntaxKind.COMMAND_SYNTAX_KIND_TOKEN) throw invalid(`unknown command_syntax ${wire.commandSyntax}`);
  if (wire.callId === wire.endCallId) throw invalid(`call_id and end_call_id are both ${wire.callId}`);
  const digits = new Map<number, string>();
  for (const token of wire.digitTokens) {
    if (!DIGITS.test(token.digits)) throw invalid(`digit token ${token.tokenId} stands for "${token.digits}", not digits`);
    digits.set(token.tokenId, token.digits);
  }
  return { kind: 'token', callId: wire.callId, endCallId: wire.endCallId, digitsOf: (tokenId) => digits.get(tokenId) };
}

function chatTemplateToWire(source: ChatTemplateSource): ModelChatTemplate {
  const wire: ModelChatTemplate = { template: source.template, origin: source.origin };
  if (source.bosToken !== undefined) wire.bosToken = source.bosToken;
  if (source.eosToken !== undefined) wire.eosToken = source.eosToken;
  return wire;
}

function chatFromWire(wire: ModelChatTemplate | undefined, invalid: (detail: string) => RelayError): ModelChat | undefined {
  if (wire === undefined) return undefined;
  if (wire.template.trim() === '') throw invalid('an empty chat template');
  const source: ChatTemplateSource = { template: wire.template, origin: wire.origin };
  if (wire.bosToken !== undefined) source.bosToken = wire.bosToken;
  if (wire.eosToken !== undefined) source.eosToken = wire.eosToken;
  return { kind: 'template', source };
}
