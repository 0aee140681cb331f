import { Metadata } from '@grpc/grpc-js';
import { callDeadlineAtMs } from './call-scope';
import { grpcCaller } from './caller';

const AT = 1_700_000_003_000;

describe("the caller's deadline on gRPC", () => {
  it('is read from the call as Unix ms, whether grpc-js gives a Date or a number; none when the client set none (Infinity)', () => {
    expect(callDeadlineAtMs({ getDeadline: () => new Date(AT) })).toBe(AT);
    expect(callDeadlineAtMs({ getDeadline: () => AT })).toBe(AT);
    expect(callDeadlineAtMs({ getDeadline: () => Number.POSITIVE_INFINITY })).toBeUndefined();
  });

  it('reaches the front door on the CallerContext, and is absent without one', () => {
    expect(grpcCaller(new Metadata(), AT)).toEqual({ protocol: 'grpc', deadlineAtMs: AT });
    expect('deadlineAtMs' in grpcCaller(new Metadata())).toBe(false);
  });
});
