import { REFERENCE_COMMAND_SYNTAX } from '@relayllm/relay-core';
import { slmPausePoints } from './slm-pause-points';

describe('slmPausePoints', () => {
  it('token syntax: pause after </call>, armed by <call> (the SLM\'s own ids)', () => {
    expect(slmPausePoints(REFERENCE_COMMAND_SYNTAX)).toEqual({ pauseTokens: [259], pauseArmTokens: [258] });
    expect(slmPausePoints({ kind: 'token', callId: 151669, endCallId: 151670, digitsOf: () => undefined })).toEqual({ pauseTokens: [151670], pauseArmTokens: [151669] });
  });

  it('text syntax: no pause point (a command is ordinary tokens)', () => {
    expect(slmPausePoints({ kind: 'text' })).toEqual({ pauseTokens: [], pauseArmTokens: [] });
  });
});
