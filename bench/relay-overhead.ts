/**
 * RELAY overhead on the reference pair (`npm run bench:relay [-- --models DIR --prompts N --rounds R]`).
 *
 * Question: does relaying cost more than the tokens it produces? A RELAY
 * answer of S SLM tokens and L LLM tokens is compared with what S tokens of
 * the SLM alone plus L tokens of the LLM alone cost, each engine's per-token
 * cost measured in the same run on the same prompts (prompt evaluation
 * included, as in a relay):
 *
 *   expected = S * slm_ms_per_token + L * llm_ms_per_token
 *   ratio    = expected / actual RELAY time       (target >= 0.9)
 *
 * A ratio under 1 is the relay's own cost: each model evaluating the other's
 * tokens, turn switches, the driver. Rounds interleave the three phases so
 * that background load hits them alike. Prints numbers only; asserts nothing.
 */
import { BOS, EOS } from '@relayllm/llama-cpp';
import { InternalReason, RelayError, type Engine, type EngineRequest } from '@relayllm/relay-core';
import { BENCH_FALLBACK_PROMPTS } from '@relayllm/testing';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REFERENCE_CHAT_FORMAT } from '../apps/relayllm/src/app/chat-format';
import { loadConfig } from '../apps/relayllm/src/app/config';
import { llamaEngineOf, startEmbeddedEngines } from '../apps/relayllm/src/app/embedded-engines';
import { createEmbeddedRelay } from '../apps/relayllm/src/app/embedded-host';

const MAX_TOKENS = 200; // as in the model card's evaluation

interface Tally {
  ms: number;
  slmTokens: number;
  llmTokens: number;
  /** Tokens each engine fed to its model during the relay runs (prompt, handed-over and own tokens). */
  slmEvaluated: number;
  llmEvaluated: number;
}

const { values } = parseArgs({ options: { models: { type: 'string' }, prompts: { type: 'string' }, rounds: { type: 'string' } } });
const config = loadConfig({ flags: values.models === undefined ? {} : { modelsDir: values.models } });
const promptCount = Number(values.prompts ?? 12);
const rounds = Number(values.rounds ?? 3);

/** Questions of the pair's test split (data/test.jsonl) when the export ships one, else a fixed set. */
function benchPrompts(): string[] {
  const file = join(config.modelsDir, 'data/test.jsonl');
  const questions = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => String((JSON.parse(line) as { question: string }).question))
    : BENCH_FALLBACK_PROMPTS;
  // The split is sorted by operand count: spread the picks over it so that every level is timed.
  return Array.from({ length: promptCount }, (_, i) => questions[Math.floor((i * questions.length) / promptCount) % questions.length] as string);
}

/** One engine alone: greedy, up to MAX_TOKENS, from scratch on a fresh sequence id. */
async function engineAlone(engine: Engine, id: string, prompt: string): Promise<{ ms: number; tokens: number }> {
  const framed = REFERENCE_CHAT_FORMAT.frame(prompt);
  const request: EngineRequest = {
    sequenceId: id,
    turn: 0,
    context: { text: framed.text, tokens: framed.tokens },
    appendOnly: false,
    maxTokens: MAX_TOKENS,
    sampling: { temperature: 0 },
    stopTokens: [],
    stop: [],
    bannedTokens: [],
  };
  const started = performance.now();
  let tokens = 0;
  for await (const chunk of engine.generate(request, new AbortController().signal)) {
    tokens += chunk.tokens.filter((t) => t !== EOS && t !== BOS).length; // EOS is a signal, not counted (as in the relay)
  }
  return { ms: performance.now() - started, tokens };
}

async function main(): Promise<void> {
  const prompts = benchPrompts();
  const engines = await startEmbeddedEngines(config);
  const relay = createEmbeddedRelay(engines, config);
  const slmAlone = { ms: 0, tokens: 0 };
  const llmAlone = { ms: 0, tokens: 0 };
  const relayed: Tally = { ms: 0, slmTokens: 0, llmTokens: 0, slmEvaluated: 0, llmEvaluated: 0 };
  let calls = 0;
  let seq = 0;
  try {
    console.log(`models ${config.modelsDir} (context ${engines.contextSize}), threads ${config.threads} per engine, ` +
      `${prompts.length} prompts x ${rounds} rounds, max ${MAX_TOKENS} tokens, greedy`);
    // Warm-up (first-use allocations, page cache), not measured.
    await engineAlone(engines.slm, 'warm-slm', prompts[0] as string);
    await engineAlone(engines.llm, 'warm-llm', prompts[0] as string);
    for (let round = 0; round < rounds; round++) {
      for (const prompt of prompts) {
        const s = await engineAlone(engines.slm, `slm-${seq++}`, prompt);
        slmAlone.ms += s.ms;
        slmAlone.tokens += s.tokens;
        const l = await engineAlone(engines.llm, `llm-${seq++}`, prompt);
        llmAlone.ms += l.ms;
        llmAlone.tokens += l.tokens;
        const [slmBefore, llmBefore] = [llamaEngineOf(engines.slm).evaluatedTokens, llamaEngineOf(engines.llm).evaluatedTokens];
        const started = performance.now();
        const request = { generationId: `relay-${seq++}`, prompt, maxTokens: MAX_TOKENS, sampling: { temperature: 0 } };
        for await (const event of relay.generate(request, new AbortController().signal, { protocol: 'cli' })) {
          if (event.type !== 'completed') continue;
          relayed.ms += performance.now() - started;
          relayed.slmTokens += event.usage.slmTokens;
          relayed.llmTokens += event.usage.llmTokens;
          calls += event.usage.calls;
        }
        relayed.slmEvaluated += llamaEngineOf(engines.slm).evaluatedTokens - slmBefore;
        relayed.llmEvaluated += llamaEngineOf(engines.llm).evaluatedTokens - llmBefore;
      }
    }
  } finally {
    await engines.close();
  }
  report(slmAlone, llmAlone, relayed, calls);
}

function report(slm: { ms: number; tokens: number }, llm: { ms: number; tokens: number }, relayed: Tally, calls: number): void {
  if (slm.tokens === 0 || llm.tokens === 0) throw RelayError.internal(InternalReason.INTERNAL, 'an engine wrote no tokens');
  const slmMsPerToken = slm.ms / slm.tokens;
  const llmMsPerToken = llm.ms / llm.tokens;
  const relayTokens = relayed.slmTokens + relayed.llmTokens;
  const expectedMs = relayed.slmTokens * slmMsPerToken + relayed.llmTokens * llmMsPerToken;
  const ratio = expectedMs / relayed.ms;
  const perSecond = (tokens: number, ms: number): string => ((tokens / ms) * 1000).toFixed(1);
  const rows: [string, string][] = [
    ['SLM alone', `${slm.tokens} tokens in ${slm.ms.toFixed(1)} ms = ${slmMsPerToken.toFixed(4)} ms/token (${perSecond(slm.tokens, slm.ms)} tok/s)`],
    ['LLM alone', `${llm.tokens} tokens in ${llm.ms.toFixed(1)} ms = ${llmMsPerToken.toFixed(4)} ms/token (${perSecond(llm.tokens, llm.ms)} tok/s)`],
    ['RELAY', `${relayed.slmTokens} SLM + ${relayed.llmTokens} LLM tokens (ρ ${(relayed.llmTokens / Math.max(1, relayTokens)).toFixed(3)}, ${calls} calls) in ${relayed.ms.toFixed(1)} ms (${perSecond(relayTokens, relayed.ms)} tok/s)`],
    ['expected', `${expectedMs.toFixed(1)} ms for that mix on the engines alone (${perSecond(relayTokens, expectedMs)} tok/s)`],
    ['evaluated', `in the relay runs the SLM fed ${relayed.slmEvaluated} tokens to its model for ${relayed.slmTokens} it wrote, the LLM ${relayed.llmEvaluated} for ${relayed.llmTokens} (prompts, the other model's tokens, its own)`],
    ['ratio', `${ratio.toFixed(3)} = expected / actual (target >= 0.9: ${ratio >= 0.9 ? 'met' : 'NOT met'})`],
  ];
  for (const [name, text] of rows) console.log(`${name.padEnd(10)} ${text}`);
  if (calls === 0) console.log('note: no LLM call was made (an untrained pair never writes a valid command): the mix is SLM only');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
