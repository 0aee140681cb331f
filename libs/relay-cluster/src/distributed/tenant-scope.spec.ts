import { sequenceIdOf } from '@relayllm/relay-core';
import { tenantGenerationId, tenantOfSequence } from './tenant-scope';

describe('tenantGenerationId / tenantOfSequence', () => {
  it('puts the request_id inside its tenant, and reads the tenant back from a sequence id', () => {
    expect(tenantGenerationId('team-a', 'req-1')).toBe('team-a/req-1');
    expect(tenantOfSequence(sequenceIdOf(tenantGenerationId('team-a', 'req/with/slashes'), 'llm'))).toBe('team-a');
  });

  it('never lets two tenants name the same generation, whatever their ids hold', () => {
    // Without encoding, tenant "a/b" with id "c" and tenant "a" with id "b/c" would be one generation.
    expect(tenantGenerationId('a/b', 'c')).not.toBe(tenantGenerationId('a', 'b/c'));
    expect(tenantOfSequence(sequenceIdOf(tenantGenerationId('a/b', 'c'), 'slm'))).not.toBe(tenantOfSequence(sequenceIdOf(tenantGenerationId('a', 'b/c'), 'slm')));
  });

  it('a generation id it did not build has the shared scope', () => {
    expect(tenantOfSequence('g1/llm')).toBe('');
    expect(tenantOfSequence('g1')).toBe('');
  });
});
