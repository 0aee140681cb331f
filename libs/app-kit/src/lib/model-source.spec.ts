import { resolve } from 'node:path';
import { describeModelSource, parseModelSource } from './model-source';

describe('parseModelSource', () => {
  it('a .gguf path is a file loaded in process, resolved against the working directory', () => {
    expect(parseModelSource('models/fixtures/qwen3/slm.gguf')).toEqual({ kind: 'gguf', path: resolve('models/fixtures/qwen3/slm.gguf') });
    expect(parseModelSource(' /m/Student.GGUF ')).toEqual({ kind: 'gguf', path: '/m/Student.GGUF' });
  });

  it('a URL is an OpenAI-compatible server: its root, with /v1 or not, and an optional served model name', () => {
    expect(parseModelSource('http://vllm:8000/v1')).toEqual({ kind: 'endpoint', baseUrl: 'http://vllm:8000', model: undefined });
    expect(parseModelSource('https://h:1/v1/')).toEqual({ kind: 'endpoint', baseUrl: 'https://h:1', model: undefined });
    expect(parseModelSource('http://127.0.0.1:8000')).toEqual({ kind: 'endpoint', baseUrl: 'http://127.0.0.1:8000', model: undefined });
    expect(parseModelSource('http://vllm:8000/v1#Qwen/Qwen3-8B')).toEqual({ kind: 'endpoint', baseUrl: 'http://vllm:8000', model: 'Qwen/Qwen3-8B' });
  });

  it.each([
    ['models/reference', /\.gguf file or an http/],
    ['slm.bin', /\.gguf file/],
    ['http://h:1/v2/completions', /root or its \/v1 path/],
    ['http://user:secret@h:1/v1', /credentials/],
    ['ftp://h/x.gguf', /http\(s\) URL/],
  ])('%s is refused with the reason', (raw, reason) => {
    const parsed = parseModelSource(raw);
    expect(typeof parsed).toBe('string');
    expect(parsed).toMatch(reason);
  });

  it('a description never repeats more than the server address and model name', () => {
    expect(describeModelSource({ kind: 'endpoint', baseUrl: 'http://h:1', model: 'm' })).toBe('http://h:1/v1 (m)');
    expect(describeModelSource({ kind: 'gguf', path: '/a/b.gguf' })).toBe('/a/b.gguf');
  });
});
