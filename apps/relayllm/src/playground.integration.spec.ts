import { REFERENCE_PLAYGROUND_EXAMPLES } from '@relayllm/http-api';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { REPO_ROOT } from './app/config';
import { specConfig, startSpecEngines, startSpecHttpServer, type SpecEngines, type SpecHttpServer } from './testing/embedded-fixture';

/**
 * The playground page in a real browser (Debian's chromium, installed by
 * scripts/test.sh) driven by puppeteer-core, against the embedded server on
 * the reference pair. Screenshots go to tmp/playground/ (not committed).
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(REPO_ROOT, 'tmp/playground');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface UsageLine {
  text: string;
  slmTokens: number;
  llmTokens: number;
  calls: number;
}

interface PanelState {
  answer: string;
  llmSpans: string[];
  badges: string[];
  timeline: string[];
  usage: UsageLine;
}

/**
 * What a panel shows, read in the page. Browser code is given as source text:
 * the workspace compiles without the DOM library.
 */
const panelState = (policy: string): string => `(() => {
  const node = document.querySelector('.panel[data-policy="${policy}"]');
  const usage = node.querySelector('.usage');
  const answer = node.querySelector('.answer');
  const withoutBadges = answer.cloneNode(true);
  withoutBadges.querySelectorAll('.call').forEach((badge) => badge.remove());
  return {
    answer: withoutBadges.textContent,
    llmSpans: [...answer.querySelectorAll('mark.llm')].map((mark) => mark.textContent),
    badges: [...answer.querySelectorAll('.call')].map((badge) => badge.dataset.tip),
    timeline: [...node.querySelectorAll('.timeline span')].map((bar) => bar.className),
    usage: { text: usage.textContent, slmTokens: Number(usage.dataset.slmTokens), llmTokens: Number(usage.dataset.llmTokens), calls: Number(usage.dataset.calls) },
  };
})()`;

/** A panel once its answer is complete (its usage line is filled in). */
async function panel(page: Page, policy: string): Promise<PanelState> {
  await page.waitForSelector(`.panel[data-policy="${policy}"] .usage[data-calls]`, { timeout: 20_000 });
  return (await page.evaluate(panelState(policy))) as PanelState;
}

describe('the playground page (headless Chromium)', () => {
  let engines: SpecEngines;
  let server: SpecHttpServer;
  let browser: Browser;
  let page: Page;
  let profileDir: string;
  const requested: string[] = [];

  beforeAll(async () => {
    engines = await startSpecEngines(specConfig());
    server = await startSpecHttpServer(engines);
    profileDir = mkdtempSync(join(tmpdir(), 'relayllm-chromium-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir: profileDir, args: CHROMIUM_FLAGS });
    page = await browser.newPage();
    page.on('request', (request) => requested.push(request.url()));
    await page.setViewport({ width: 1280, height: 800 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (profileDir !== undefined) rmSync(profileDir, { recursive: true, force: true });
    await server?.close();
    await engines?.real.close();
  });

  it('loads with the example questions and describes the pair', async () => {
    await page.goto(`${server.origin}/`, { waitUntil: 'load' });
    expect(await page.title()).toBe('RelayLLM playground');
    await page.waitForFunction("document.getElementById('pair').textContent.includes('SLM')", { timeout: 10_000 });
    expect(await page.$$eval('#examples button', (buttons) => buttons.map((b) => b.textContent))).toEqual([...REFERENCE_PLAYGROUND_EXAMPLES]);
    expect(await page.$eval('#base-url', (node) => node.textContent)).toBe(`${server.origin}/v1`);
  }, 30_000);

  it('streams a relay answer run from the keyboard, LLM spans highlighted, calls marked, usage as the API reports it', async () => {
    await page.focus('#question');
    expect(await page.evaluate("document.getElementById('question').value")).toBe(REFERENCE_PLAYGROUND_EXAMPLES[0]);
    await page.keyboard.down('Control');
    await page.keyboard.press('Enter');
    await page.keyboard.up('Control');
    const shown = await panel(page, 'relay');

    // The same request through the API (temperature 0: the same generation).
    const client = new OpenAI({ baseURL: `${server.origin}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'relayllm',
      messages: [{ role: 'user', content: REFERENCE_PLAYGROUND_EXAMPLES[0] }],
      temperature: 0,
      max_tokens: specConfig().defaultMaxTokens,
      stream: true,
      stream_options: { include_usage: true },
    });
    let answer = '';
    const llmSpans: string[] = [];
    let relay: { slm_tokens: number; llm_tokens: number; calls: number; llm_token_ratio: number; finish_reason: string } | undefined;
    let lastSource: string | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; relay?: { source?: string; event?: string } } | undefined;
      if (delta?.relay?.event !== undefined) lastSource = undefined;
      if (delta?.content) {
        answer += delta.content;
        if (delta.relay?.source === 'llm') {
          if (lastSource === 'llm') llmSpans[llmSpans.length - 1] += delta.content;
          else llmSpans.push(delta.content);
        }
        lastSource = delta.relay?.source;
      }
      if (chunk.usage) relay = (chunk.usage as unknown as { relay: typeof relay }).relay;
    }
    expect(relay?.calls).toBeGreaterThan(0);
    expect(shown.llmSpans.length).toBeGreaterThanOrEqual(1);
    expect(shown.llmSpans).toEqual(llmSpans);
    expect(shown.answer).toBe(answer);
    expect(shown.badges).toHaveLength(relay?.calls ?? -1);
    expect(shown.badges[0]).toMatch(/^call 1: \d+ tokens requested, \d+ granted; wrote \d+ in \d+ ms$/);
    expect(shown.timeline).toContain('llm');
    expect(shown.usage).toEqual({
      text: `SLM ${relay?.slm_tokens} tokens · LLM ${relay?.llm_tokens} tokens · ${relay?.calls} call${relay?.calls === 1 ? '' : 's'} · ρ = ${relay?.llm_token_ratio.toFixed(3)} · ${relay?.finish_reason}`,
      slmTokens: relay?.slm_tokens,
      llmTokens: relay?.llm_tokens,
      calls: relay?.calls,
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'playground-1280x800.png') });
  }, 60_000);

  it('sends the confidence floor and marks the calls it makes', async () => {
    await page.evaluate("document.getElementById('confidence-floor').value = '0.999'");
    let shown: PanelState;
    try {
      await page.click('#run');
      // The new answer replaces the last one: wait for a floor's call badge, then for the answer to complete.
      await page.waitForSelector('.panel[data-policy="relay"] .call.floor', { timeout: 20_000 });
      shown = await panel(page, 'relay');
    } finally {
      await page.evaluate("document.getElementById('confidence-floor').value = '0'");
    }
    // On the reference pair's first example 0.999 makes floor calls besides the student's own command.
    expect(shown.badges.filter((tip) => /^call \d+ \(confidence floor\): 4 tokens requested, 4 granted; wrote \d+ in \d+ ms$/.test(tip)).length).toBeGreaterThan(0);
    expect(shown.badges.some((tip) => /^call \d+: /.test(tip))).toBe(true);
  }, 60_000);

  it('runs the three policies side by side', async () => {
    await page.click('input[name=policy][value=compare]');
    await page.click('#run');
    const [relay, slmOnly, llmOnly] = await Promise.all(['relay', 'slm_only', 'llm_only'].map((policy) => panel(page, policy)));
    expect(relay.usage.calls).toBeGreaterThan(0);
    expect([slmOnly.usage.llmTokens, slmOnly.usage.calls, slmOnly.llmSpans]).toEqual([0, 0, []]);
    expect(llmOnly.usage.slmTokens).toBe(0);
    expect(llmOnly.llmSpans.join('')).toBe(llmOnly.answer);
    await page.screenshot({ path: join(SCREENSHOTS, 'playground-compare.png') });
  }, 60_000);

  it('fits a phone-width window without sideways scrolling', async () => {
    await page.setViewport({ width: 390, height: 844, isMobile: true });
    await page.reload({ waitUntil: 'load' });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'playground-390.png'), fullPage: true });
  }, 30_000);

  it('fetched nothing from anywhere but the server', () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${server.origin}/`))).toEqual([]);
  });
});
