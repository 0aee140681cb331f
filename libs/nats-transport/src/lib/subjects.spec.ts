import { WorkerKind } from '@relayllm/proto';
import {
  llmCancelSubject,
  llmCancelWildcard,
  llmGenerateSubject,
  llmQueueGroup,
  llmWorkerSubject,
  modelDescribeQueueGroup,
  modelDescribeSubject,
  subjectToken,
  WORKER_HEARTBEAT_SUBJECT,
} from './subjects';

describe('subjects (shared contract)', () => {
  it('builds the contract subjects', () => {
    expect(WORKER_HEARTBEAT_SUBJECT).toBe('relayllm.workers.heartbeat');
    expect(llmGenerateSubject('llm')).toBe('relayllm.llm.llm.generate');
    expect(llmQueueGroup('llm')).toBe('relayllm-llm-llm');
    expect(llmWorkerSubject('llm', 'w-1')).toBe('relayllm.llm.llm.worker.w-1');
    expect(llmCancelSubject('llm', 'gen_7')).toBe('relayllm.llm.llm.cancel.gen_7');
    expect(llmCancelWildcard('llm')).toBe('relayllm.llm.llm.cancel.*');
    const hash = 'a'.repeat(64);
    expect(modelDescribeSubject(WorkerKind.WORKER_KIND_SLM, 'slm', hash)).toBe(`relayllm.slm.slm.describe.${hash}`);
    expect(modelDescribeSubject(WorkerKind.WORKER_KIND_LLM, 'qwen3.8b', hash)).toBe(`relayllm.llm.${subjectToken('qwen3.8b')}.describe.${hash}`);
    expect(modelDescribeQueueGroup(WorkerKind.WORKER_KIND_LLM, 'llm', hash)).toBe(`relayllm-describe-llm-llm-${hash}`);
    expect(() => modelDescribeSubject(WorkerKind.WORKER_KIND_UNSPECIFIED, 'slm', hash)).toThrow(RangeError);
  });

  it('turns unsafe names into one stable token', () => {
    const token = subjectToken('a.b *>');
    expect(token).toMatch(/^h[0-9a-f]{32}$/);
    expect(subjectToken('a.b *>')).toBe(token);
    expect(subjectToken('a.b')).not.toBe(subjectToken('a.c'));
    expect(subjectToken('x'.repeat(65))).toMatch(/^h[0-9a-f]{32}$/);
    expect(subjectToken('')).toMatch(/^h/);
    expect(llmCancelSubject('llm', 'req.1').split('.')).toHaveLength(5);
  });
});
