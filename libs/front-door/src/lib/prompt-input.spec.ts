import { GenerationStateStore, InMemoryKeyValueStore, TokenQuota } from '@relayllm/relay-cluster';
import {
  DEFAULT_SERVER_LIMITS,
  REFERENCE_CHAT_FORMAT,
  referenceModels,
  referenceProfile,
  type ChatMessage,
  type CompletedEvent,
  type RelayModels,
  type RelayRequest,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import { CharTokenizerFake, ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import { RelayFrontDoor, type FrontDoorOptions } from './relay-front-door';

/** How the front door frames each input kind: a question, a conversation, raw input (one place, once). */

const CALLER = { protocol: 'http' as const };
const CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Compute 2+3.' },
  { role: 'assistant', content: '5' },
  { role: 'user', content: 'Compute 1+2.' },
];
const conversation = (over: Partial<RelayRequest> = {}): RelayRequest => ({
  generationId: 'g1',
  prompt: 'Compute 1+2.',
  input: { kind: 'messages', messages: MESSAGES },
  maxTokens: 20,
  ...over,
});

function frontDoor(slm: ScriptedEngine, over: Partial<FrontDoorOptions> = {}): RelayFrontDoor {
  const clock = new ManualClock();
  return new RelayFrontDoor({
    engines: { slm, llm: new ScriptedEngine([]) },
    models: referenceModels(128),
    limits: DEFAULT_SERVER_LIMITS,
    requestTimeoutMs: 60_000,
    resumable: false,
    generations: new GenerationStateStore({ store: new InMemoryKeyValueStore({ clock }), owner: 'spec', clock, leaseMs: 60_000, runningTtlMs: 120_000 }),
    clock,
    ...over,
  });
}

async function run(door: RelayFrontDoor, request: RelayRequest): Promise<CompletedEvent> {
  const events: RelayStreamEvent[] = [];
  for await (const event of door.generate(request, new AbortController().signal, CALLER)) events.push(event);
  return events[events.length - 1] as CompletedEvent;
}

/** A model with CHATML as its template, token command syntax and a tokenizer that parses `<call>` as its command token. */
function templatedModels(): { models: RelayModels; tokenizer: CharTokenizerFake } {
  const tokenizer = new CharTokenizerFake(['<|im_start|>', '<|im_end|>', '<call>', '</call>']);
  const profile = {
    ...referenceProfile('slm', 256),
    commandSyntax: { kind: 'token' as const, callId: tokenizer.idOf('<call>'), endCallId: tokenizer.idOf('</call>'), digitsOf: () => undefined },
  };
  const slm = { profile, chat: { kind: 'template' as const, source: { template: CHATML, origin: 'chatml.jinja' } }, tokenizer };
  return { models: { slm, llm: { ...slm, profile: referenceProfile('llm', 256) } }, tokenizer };
}

describe('RelayFrontDoor: prompt input kinds', () => {
  it('frames a conversation with the reference format as its last user message', async () => {
    const slm = new ScriptedEngine(['3</s>']);
    expect((await run(frontDoor(slm), conversation())).text).toBe('3');
    const framed = REFERENCE_CHAT_FORMAT.frame('Compute 1+2.');
    expect(slm.requests[0].context).toEqual({ text: framed.text, tokens: framed.tokens });
  });

  it('renders a whole conversation with the chat template', async () => {
    const { models } = templatedModels();
    const slm = new ScriptedEngine(['3</s>']);
    const door = frontDoor(slm, { models });
    await run(door, conversation());
    expect(slm.requests[0].context.text).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCompute 2+3.<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n<|im_start|>user\nCompute 1+2.<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(slm.requests[0].context.tokens).toEqual(door.chatFormat.frameMessages(MESSAGES).tokens);
  });

  it('passes raw input to the models as written: no template', async () => {
    const slm = new ScriptedEngine(['3</s>']);
    await run(frontDoor(slm), { generationId: 'g1', prompt: 'Q: 1+2=', input: { kind: 'raw' }, maxTokens: 20 });
    expect(slm.requests[0].context).toEqual({ text: 'Q: 1+2=', tokens: [256, ...Buffer.from('Q: 1+2=')] });
  });

  it("refuses raw input that holds the SLM's command token, naming prompt, before any engine runs", async () => {
    const { models } = templatedModels();
    const slm = new ScriptedEngine([]);
    const raw = { generationId: 'g1', prompt: 'x <call>', input: { kind: 'raw' as const }, maxTokens: 20 };
    await expect(run(frontDoor(slm, { models }), raw)).rejects.toMatchObject({ kind: 'invalid_argument', reason: 'PROMPT_CONTROL_TOKEN', field: 'prompt' });
    expect(slm.requests).toHaveLength(0);
  });

  it('a conversation whose prompt is not its last user message is refused as the caller wrote it', async () => {
    const slm = new ScriptedEngine([]);
    await expect(run(frontDoor(slm), conversation({ prompt: 'Compute 2+3.' }))).rejects.toMatchObject({ reason: 'MESSAGES_INVALID', field: 'prompt' });
  });

  it('a request_id reused for another conversation ending on the same question is not its replay', async () => {
    const slm = new ScriptedEngine(['3</s>', '4</s>']);
    const door = frontDoor(slm, { models: templatedModels().models });
    await run(door, conversation());
    const other = conversation({ input: { kind: 'messages', messages: MESSAGES.slice(1) } });
    await expect(run(door, other)).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' });
    expect((await run(door, conversation())).text).toBe('3'); // the same conversation is replayed
    expect(slm.requests).toHaveLength(1);
  });

  it('a refused quota says when to retry', async () => {
    const clock = new ManualClock();
    const quota = new TokenQuota({ tokensPerWindow: 60, windowMs: 60_000 }, clock);
    quota.charge('anonymous', 61);
    await expect(run(frontDoor(new ScriptedEngine([]), { quota }), conversation())).rejects.toMatchObject({
      reason: 'LLM_TOKEN_QUOTA_EXCEEDED',
      retryAfterMs: 2_000,
    });
  });
});
