import { REFERENCE_CHAT_FORMAT } from './chat-format';
import { markStyleFor, SpanMarker, usageLine } from './render';

describe('SpanMarker', () => {
  it('brackets each LLM span; a new call is a new span', () => {
    const m = new SpanMarker('brackets');
    const out = [
      m.text('SLM', '37*48'),
      m.text('LLM', '=17'),
      m.text('LLM', '76'),
      m.callEnded(),
      m.text('LLM', '+15'),
      m.text('SLM', '=1791'),
      m.text('LLM', ''),
      m.end(),
    ].join('');
    expect(out).toBe('37*48[[=1776]][[+15]]=1791');
  });

  it('closes a span left open at the end; colours on a terminal only', () => {
    const m = new SpanMarker('ansi');
    expect(m.text('LLM', 'x') + m.end()).toBe('\x1b[36mx\x1b[39m');
    expect(markStyleFor({ isTTY: true })).toBe('ansi');
    expect(markStyleFor({})).toBe('brackets');
  });
});

describe('usageLine and the chat format', () => {
  it('prints slm/llm tokens, calls and ρ', () => {
    expect(usageLine({ slmTokens: 30, llmTokens: 10, calls: 1, llmTokenRatio: 0.25 }, 'eos')).toBe(
      '[usage] slm 30 tokens, llm 10 tokens, 1 call, ρ 0.250, finish eos',
    );
  });

  it('frames a question as <s> + question + "\\n", user text as bytes', () => {
    expect(REFERENCE_CHAT_FORMAT.frame('2<call>')).toEqual({ text: '2<call>\n', tokens: [256, 50, 60, 99, 97, 108, 108, 62, 10] });
    expect(REFERENCE_CHAT_FORMAT.frame('é').tokens).toEqual([256, 0xc3, 0xa9, 10]);
  });
});
