import { readFileSync } from 'fs';
import { resolve } from 'path';
import type { RelayStreamEvent } from '../relay/relay-events';
import { REFERENCE_PAIR_PROFILE } from '../protocol/reference-pair';
import { runRelay } from '../relay/run-relay';
import { ManualClock } from '../testing/manual-clock';
import { ScriptedEngine } from '../testing/scripted-engine';
import { CONFORMANCE_TABLE } from './conformance.table';
import {
  PROTOCOL_FIXTURE_PATH,
  buildProtocolFixture,
  formatProtocolFixture,
  type FixtureCase,
  type FixtureStream,
  type RelayProtocolFixture,
} from './protocol-fixture';

const repoRoot = resolve(__dirname, '../../../..');

describe('protocol fixture for training/', () => {
  const fixture = buildProtocolFixture();

  it('is committed exactly as the exporter writes it now (if not: `npm run fixtures:protocol`, commit the file)', () => {
    const committed = readFileSync(resolve(repoRoot, PROTOCOL_FIXTURE_PATH), 'utf8');
    // Parsed first, for a readable diff of what changed; then the exact text.
    expect(JSON.parse(committed) as RelayProtocolFixture).toEqual(fixture);
    expect(committed).toBe(formatProtocolFixture(fixture));
  });

  it('holds every conformance case, in table order', () => {
    expect(fixture.conformance.cases.map((c) => c.name)).toEqual(CONFORMANCE_TABLE.map((row) => row.name));
  });

  // Training reads nothing but the fixture: its token ids, read with its own vocabulary, must be the scripts.
  it.each(fixture.conformance.cases.map((c) => [c.name, c] as const))('token ids spell the scripts: %s', (_name, c) => {
    const decode = fixtureDecoder(fixture);
    for (const stream of [...c.slm, ...c.llm]) expect(decode(stream.tokens)).toBe(stream.script);
    expect(decode(c.prompt.tokens)).toBe(c.prompt.text);
    expect(c.prompt.tokens.every((id) => id < fixture.vocabulary.byteTokens)).toBe(true);
  });

  // The resolved limits and policy alone (no table defaults) reproduce the expected outcome.
  it.each(fixture.conformance.cases.map((c) => [c.name, c] as const))('its data alone reproduces the outcome: %s', async (_name, c) => {
    const completed = await runFixtureCase(c);
    expect({ text: completed.text, finishReason: completed.finishReason }).toEqual({
      text: c.expected.text,
      finishReason: c.expected.finishReason,
    });
    const { callRecords, ...usage } = completed.usage;
    expect(usage).toEqual(c.expected.usage);
    expect(callRecords.map(({ requestedN, grantedN, tokensWritten }) => ({ requestedN, grantedN, tokensWritten }))).toEqual(
      c.expected.calls,
    );
  });

  it('refuses a case whose script is an engine failure rather than exporting it without one', () => {
    const row = { ...CONFORMANCE_TABLE[0], name: 'failing engine', slm: [{ text: 'A</s>', failAfterChunks: 1 }] };
    expect(() => buildProtocolFixture([row])).toThrow('conformance case "failing engine": failAfterChunks');
  });
});

function fixtureDecoder(fixture: RelayProtocolFixture): (ids: readonly number[]) => string {
  const controlText = new Map(fixture.vocabulary.controlTokens.map((t) => [t.id, t.text]));
  const utf8 = new TextDecoder();
  return (ids) => {
    let text = '';
    let bytes: number[] = [];
    for (const id of ids) {
      if (id < fixture.vocabulary.byteTokens) {
        bytes.push(id);
        continue;
      }
      text += utf8.decode(new Uint8Array(bytes)) + (controlText.get(id) ?? '?');
      bytes = [];
    }
    return text + utf8.decode(new Uint8Array(bytes));
  };
}

function scripted(streams: readonly FixtureStream[]): ScriptedEngine {
  return new ScriptedEngine(streams.map(({ script, finish }) => ({ text: script, finish })));
}

async function runFixtureCase(c: FixtureCase) {
  const request = { generationId: 'gen-1', prompt: c.prompt.text, promptTokens: c.prompt.tokens, policy: c.policy, ...c.limits };
  const engines = { slm: scripted(c.slm), llm: scripted(c.llm), clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE };
  let last: RelayStreamEvent | undefined;
  for await (const event of runRelay(engines, request, new AbortController().signal)) last = event;
  if (last?.type !== 'completed') throw new Error('the relay must end with a completed event');
  return last;
}
