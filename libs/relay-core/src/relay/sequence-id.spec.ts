import { parseSequenceId, sequenceIdOf } from './sequence-id';

describe('sequence ids', () => {
  it('builds <generationId>/<role> and reads it back, also when the generation id has slashes', () => {
    expect(sequenceIdOf('g-1', 'slm')).toBe('g-1/slm');
    expect(parseSequenceId(sequenceIdOf('tenant/req:7', 'llm'))).toEqual({ generationId: 'tenant/req:7', role: 'llm' });
  });

  it('refuses ids it did not build', () => {
    expect(parseSequenceId('g-1')).toBeUndefined();
    expect(parseSequenceId('/slm')).toBeUndefined();
    expect(parseSequenceId('g-1/other')).toBeUndefined();
  });
});
