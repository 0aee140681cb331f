import { WorkerHeartbeat } from '@relayllm/proto';
import { isRelayError } from '@relayllm/relay-core';
import { decodeProto, encodeProto } from './codec';

describe('proto codec', () => {
  it('round-trips and reports malformed payloads as invalid_argument', () => {
    const hb = WorkerHeartbeat.fromPartial({ workerId: 'w' });
    expect(decodeProto(WorkerHeartbeat, encodeProto(WorkerHeartbeat, hb), 'hb').workerId).toBe('w');
    let caught: unknown;
    try {
      decodeProto(WorkerHeartbeat, new Uint8Array([0xff, 0xff, 0xff]), 'hb');
    } catch (error) {
      caught = error;
    }
    expect(isRelayError(caught, 'invalid_argument') && caught.reason === 'PAYLOAD_INVALID').toBe(true);
  });
});
