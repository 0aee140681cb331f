import { ApiKeyRing } from './api-keys';
import { SecurityConfigError } from './security-config-error';

describe('ApiKeyRing', () => {
  const ring = ApiKeyRing.parse('# team keys\nalice:aaaaaaaaaaaaaaaa1\n\nbob:bbbbbbbbbbbbbbbb2\n', 'RELAYLLM_API_KEYS_FILE');

  it('identifies the key a caller presents by its id', () => {
    expect(ring.size).toBe(2);
    expect(ring.identify('aaaaaaaaaaaaaaaa1')).toBe('alice');
    expect(ring.identify('bbbbbbbbbbbbbbbb2')).toBe('bob');
  });

  it('rejects wrong keys, prefixes, the empty string and ids', () => {
    for (const wrong of ['aaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaa12', '', 'alice', 'alice:aaaaaaaaaaaaaaaa1']) {
      expect(ring.identify(wrong)).toBeUndefined();
    }
  });

  it('accepts comma-separated entries (inline form)', () => {
    expect(ApiKeyRing.parse('a:0123456789abcdef, b:fedcba9876543210', 'X').identify('fedcba9876543210')).toBe('b');
  });

  it.each([
    ['', 'no API keys'],
    ['justasecretwithoutid', 'is not <id>:<secret>'],
    ['a:short', 'shorter than 16'],
    ['a:0123456789abcdef\na:0123456789abcdeg', 'appears twice'],
  ])('refuses %j naming the setting and never the secret', (text, message) => {
    let error: unknown;
    try {
      ApiKeyRing.parse(text, 'RELAYLLM_API_KEYS_FILE');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SecurityConfigError);
    expect((error as Error).message).toContain('RELAYLLM_API_KEYS_FILE');
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('0123456789abcde');
  });
});
