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

  it('tells confidence floors apart, one floor written with or without its default call length alike, and threshold 0 as none', () => {
    const floor = (confidenceFloor: RelayRequest['confidenceFloor']) => requestFingerprint({ ...base, confidenceFloor }, identity);
    expect(floor({ threshold: 0.5 })).not.toBe(requestFingerprint(base, identity));
    expect(floor({ threshold: 0.5 })).not.toBe(floor({ threshold: 0.7 }));
    expect(floor({ threshold: 0.5 })).not.toBe(floor({ threshold: 0.5, callTokens: 8 }));
    expect(floor({ threshold: 0.5 })).toBe(floor({ threshold: 0.5, callTokens: 4 }));
    expect(floor({ threshold: 0 })).toBe(requestFingerprint(base, identity));
    // a floor is never read as a call bias of the same value
    expect(floor({ threshold: 0.5 })).not.toBe(requestFingerprint({ ...base, callBias: 0.5 }, identity));
  });
});
