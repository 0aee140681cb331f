import type { FixtureFamily } from './families';

/**
 * What the fixture models write, as text. Every family writes the same text, so any pair
 * (a Qwen3 SLM with a Llama 3.1 LLM included) gives one known answer.
 *
 *   SLM: "The answer is" + "<call>3</call>"        (up to and including the command)
 *   LLM: " forty two."                              (3 tokens in both families)
 *   SLM: " Done!" + its end-of-turn token           (after the LLM's last token ".")
 *
 * Each token of a model's script has one successor (a bigram model cannot do more), so
 * the words avoid repeats: "." ends the LLM's part and "!" the SLM's.
 */
export const FIXTURE_SCRIPT_TEXT = {
  /** What the SLM writes before its command. */
  slmBeforeCall: 'The answer is',
  /** The command the SLM writes as ordinary text (several tokens in these vocabularies). */
  command: '<call>3</call>',
  /** n of the command: the tokens the LLM is asked for. */
  callTokens: 3,
  /** The LLM's n tokens, continuing the command-free text. */
  llmContinuation: ' forty two.',
  /** What the SLM writes after the LLM's tokens, before its end-of-turn token. */
  slmAfterCall: ' Done!',
} as const;

/** The user turn the fixture prompts are rendered from (the models ignore it: only the last token counts). */
export const FIXTURE_MESSAGES: readonly { readonly role: 'user'; readonly content: string }[] = [
  { role: 'user', content: 'hi' },
];

const T = FIXTURE_SCRIPT_TEXT;

/** The SLM's text up to and including its command: what greedy decoding writes before the relay steps in. */
export const EXPECTED_SLM_TEXT_UNTIL_CALL = `${T.slmBeforeCall}${T.command}`;

/** The text the LLM continues: the SLM's text without the command. */
export const EXPECTED_COMMAND_FREE_TEXT = T.slmBeforeCall;

/** The LLM alone, from the rendered prompt: it writes this, then its end-of-turn token. */
export const EXPECTED_LLM_ONLY_ANSWER = `${T.slmBeforeCall}${T.llmContinuation}`;

/** The relay's whole answer (commands removed) for an SLM and an LLM of these fixtures. */
export const EXPECTED_RELAY_ANSWER = `${T.slmBeforeCall}${T.llmContinuation}${T.slmAfterCall}`;

/**
 * The expected relay answer of every pairing, indexed [SLM family][LLM family]. All
 * are {@link EXPECTED_RELAY_ANSWER}: both families' scripts write the same text.
 */
export const EXPECTED_RELAY_ANSWERS: Readonly<Record<FixtureFamily, Readonly<Record<FixtureFamily, string>>>> = {
  qwen3: { qwen3: EXPECTED_RELAY_ANSWER, llama3: EXPECTED_RELAY_ANSWER },
  llama3: { qwen3: EXPECTED_RELAY_ANSWER, llama3: EXPECTED_RELAY_ANSWER },
};
