import { WorkerKind } from '@relayllm/proto';
import {
  llmCancelSubject,
  llmCancelWildcard,
  llmGenerateSubject,
  llmWorkerSubject,
  modelDescribeSubject,
  WORKER_HEARTBEAT_SUBJECT,
} from '@relayllm/nats-transport';
import { natsAuthorizationConfig, natsRoleMay, subjectMatches, type NatsRole } from './nats-permissions';

const SLM_DESCRIBE = modelDescribeSubject(WorkerKind.WORKER_KIND_SLM, 'slm-pool', 'abc123');
const LLM_DESCRIBE = modelDescribeSubject(WorkerKind.WORKER_KIND_LLM, 'llm.pool', 'abc123');

describe('subjectMatches', () => {
  it.each([
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['a.b', 'a.b', true],
    ['a.b', 'a.b.c', false],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('NATS role permissions over the real subject builders', () => {
  // Each subject of the protocol, who sends on it and who receives it.
  const traffic: Array<[string, string, NatsRole, NatsRole]> = [
    ['heartbeat (slm)', WORKER_HEARTBEAT_SUBJECT, 'slm-worker', 'orchestrator'],
    ['heartbeat (llm)', WORKER_HEARTBEAT_SUBJECT, 'llm-worker', 'orchestrator'],
    ['relay', llmGenerateSubject('llm.pool'), 'orchestrator', 'llm-worker'],
    ['affinity relay', llmWorkerSubject('llm', 'worker 7'), 'orchestrator', 'llm-worker'],
    ['cancel', llmCancelSubject('llm', 'gen-1'), 'orchestrator', 'llm-worker'],
    ['slm description', SLM_DESCRIBE, 'orchestrator', 'slm-worker'],
    ['llm description', LLM_DESCRIBE, 'orchestrator', 'llm-worker'],
  ];

  it.each(traffic)('%s: the sender may publish it and the receiver subscribe to it', (_what, subject, sender, receiver) => {
    expect(natsRoleMay(sender, 'publish', subject)).toBe(true);
    expect(natsRoleMay(receiver, 'subscribe', subject)).toBe(true);
  });

  it("the LLM worker's cancel wildcard is within its permissions", () => {
    expect(natsRoleMay('llm-worker', 'subscribe', llmCancelWildcard('llm').replace('*', 'gen-1'))).toBe(true);
  });

  it('workers may publish nothing but heartbeats, and read nothing of the other role', () => {
    for (const worker of ['slm-worker', 'llm-worker'] as const) {
      for (const subject of [llmGenerateSubject('llm'), llmCancelSubject('llm', 'g'), SLM_DESCRIBE, LLM_DESCRIBE, '_INBOX.x.y']) {
        expect({ worker, subject, publish: natsRoleMay(worker, 'publish', subject) }).toEqual({ worker, subject, publish: false });
      }
      expect(natsRoleMay(worker, 'subscribe', WORKER_HEARTBEAT_SUBJECT)).toBe(false);
      expect(natsRoleMay(worker, 'subscribe', '_INBOX.x')).toBe(false);
    }
    expect(natsRoleMay('slm-worker', 'subscribe', llmGenerateSubject('llm'))).toBe(false);
    expect(natsRoleMay('llm-worker', 'subscribe', SLM_DESCRIBE)).toBe(false);
    expect(natsRoleMay('orchestrator', 'publish', WORKER_HEARTBEAT_SUBJECT)).toBe(false);
  });

  it('renders one user per role, no default user, responses only for workers', () => {
    const config = natsAuthorizationConfig({ orchestrator: 'o-pw', 'slm-worker': 's-pw', 'llm-worker': 'l-pw' });
    expect(config).toContain('user: "relayllm-orchestrator", password: "o-pw"');
    expect(config).toContain('user: "relayllm-slm-worker", password: "s-pw"');
    expect(config).not.toContain('no_auth_user');
    expect(config.match(/allow_responses/g)).toHaveLength(2);
    const variables = natsAuthorizationConfig({ orchestrator: 'O', 'slm-worker': 'S', 'llm-worker': 'L' }, true);
    expect(variables).toContain('password: $O,');
  });
});
