import { ChaosUsageError, DEFAULT_FAULTS, describeFault, parseFault, parseFaultList } from './fault-spec';

describe('parseFault', () => {
  it('reads target, action and duration (s or ms)', () => {
    expect(parseFault('nats-kill-3s')).toEqual({ name: 'nats-kill-3s', target: 'nats', action: 'kill', durationMs: 3_000 });
    expect(parseFault(' redis-freeze-500ms ')).toEqual({ name: 'redis-freeze-500ms', target: 'redis', action: 'freeze', durationMs: 500 });
    expect(parseFault('slm-freeze-20s')).toMatchObject({ target: 'slm', action: 'freeze', durationMs: 20_000 });
  });

  it('a worker or orchestrator kill is for good: no duration', () => {
    expect(parseFault('llm-kill')).toEqual({ name: 'llm-kill', target: 'llm', action: 'kill', durationMs: undefined });
    expect(parseFault('orchestrator-kill')).toMatchObject({ target: 'orchestrator', action: 'kill', durationMs: undefined });
    expect(() => parseFault('llm-kill-3s')).toThrow(/stays down.*write llm-kill/);
    expect(() => parseFault('orchestrator-kill-3s')).toThrow(/stays down/);
  });

  it('every other fault needs a duration', () => {
    expect(() => parseFault('nats-kill')).toThrow(/needs a duration, e.g. nats-kill-10s/);
    expect(() => parseFault('slm-freeze')).toThrow(/needs a duration/);
  });

  it('names the fault and the cause of a bad one', () => {
    expect(() => parseFault('kafka-kill-3s')).toThrow(/fault "kafka-kill-3s": unknown target "kafka"/);
    expect(() => parseFault('nats-pause-3s')).toThrow(/unknown action "pause"/);
    expect(() => parseFault('nats-kill-3m')).toThrow(/expected <target>-<action>\[-<duration>\]/);
    expect(() => parseFault('nats-kill-0s')).toThrow(/between 1 ms and 600 s/);
    expect(() => parseFault('nats-kill-601s')).toThrow(ChaosUsageError);
  });
});

describe('parseFaultList', () => {
  it('keeps the order given and refuses duplicates and empty lists', () => {
    expect(parseFaultList('redis-kill-5s, llm-kill').map((f) => f.name)).toEqual(['redis-kill-5s', 'llm-kill']);
    expect(() => parseFaultList('llm-kill,llm-kill')).toThrow(/"llm-kill" given twice/);
    expect(() => parseFaultList(' , ')).toThrow(/no fault named/);
  });

  it('the default matrix is the issue\'s faults, all valid', () => {
    const faults = parseFaultList(DEFAULT_FAULTS.join(','));
    expect(faults.map(describeFault)).toEqual([
      'kill -9 of one LLM worker',
      'kill -9 of one SLM worker',
      'NATS killed (-9) 3 s, restarted',
      'NATS killed (-9) 15 s, restarted',
      'NATS frozen (SIGSTOP) 10 s',
      'one SLM worker frozen (SIGSTOP) 20 s',
      'Redis killed (-9) 5 s, restarted',
      'Redis frozen (SIGSTOP) 10 s',
      'kill -9 of the orchestrator (clients retry on a 2nd replica)',
    ]);
  });
});
