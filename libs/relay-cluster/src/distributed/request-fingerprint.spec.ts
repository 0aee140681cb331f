import type { RelayRequest } from '@relayllm/relay-core';
import { requestFingerprint } from './generation-state-record';

describe('requestFingerprint', () => {
  const base: RelayRequest = { generationId: 'g', prompt: 'Q', maxTokens: 8 };
  const identity = (material: string): string => material;

  it('tells requests with different call biases apart: a retried id with another bias is another request', () => {
    expect(requestFingerprint({ ...base, callBias: 2 }, identity)).not.toBe(requestFingerprint(base, identity));
    expect(requestFingerprint({ ...base, callBias: 2 }, identity)).not.toBe(requestFingerprint({ ...base, callBias: -2 }, identity));
  });

  it('keeps the fingerprint of an unbiased request (absent or 0) as it was before the knob', () => {
    const before = JSON.stringify(['Q', null, 8, null, null, null, null, null]);
    expect(requestFingerprint(base, identity)).toBe(before);
    expect(requestFingerprint({ ...base, callBias: 0 }, identity)).toBe(before);
  });
});
