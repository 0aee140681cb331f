import { headers } from '@nats-io/nats-core';
import { toNatsHeaders, traceHeadersFrom } from './trace-headers';

describe('trace headers', () => {
  it('copies traceparent/tracestate in and out, nothing else', () => {
    const incoming = headers();
    incoming.set('traceparent', '00-abc-def-01');
    incoming.set('other', 'x');
    const trace = traceHeadersFrom(incoming);
    expect(trace).toEqual({ traceparent: '00-abc-def-01' });
    const out = toNatsHeaders(trace);
    expect(out?.get('traceparent')).toBe('00-abc-def-01');
    expect(out?.has('other')).toBe(false);
  });

  it('has no header block when there is nothing to carry', () => {
    expect(toNatsHeaders(undefined)).toBeUndefined();
    expect(toNatsHeaders({})).toBeUndefined();
    expect(traceHeadersFrom(undefined)).toEqual({});
  });
});
