/**
 * Injects one fault into a rig and resolves when it is over: the killed
 * NATS / Redis restarted on the same port, the frozen process resumed, the
 * killed worker reaped (it stays down).
 */
import type { AppProcessHandle, NatsServerHandle } from '@relayllm/testing';
import type { ProcessJanitor } from './janitor';
import type { ChaosRig } from './rig';
import type { FaultSchedule } from './schedule';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type ServerHandle = NatsServerHandle;

/** Waits until the server handle has seen its process exit (its pid is cleared), at most `withinMs`. */
async function serverExited(server: ServerHandle, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (server.pid !== undefined) {
    if (Date.now() > deadline) throw new Error(`${server.url}: still running ${withinMs} ms after kill -9`);
    await sleep(10);
  }
}

async function killServer(server: ServerHandle, downMs: number, janitor: ProcessJanitor): Promise<void> {
  const pid = server.pid;
  if (pid === undefined) throw new Error(`${server.url}: not running, cannot kill it`);
  process.kill(pid, 'SIGKILL');
  await serverExited(server, 5_000);
  await sleep(downMs);
  if (!janitor.closing) await server.start();
}

async function freezeProcess(pid: number | undefined, frozenMs: number, janitor: ProcessJanitor): Promise<void> {
  if (pid === undefined) throw new Error('no pid to freeze');
  const resume = (): void => void process.kill(pid, 'SIGCONT');
  process.kill(pid, 'SIGSTOP');
  janitor.frozenProcess(pid, resume);
  await sleep(frozenMs);
  resume();
  janitor.thawed(pid);
}

async function killWorker(worker: AppProcessHandle): Promise<void> {
  worker.kill('SIGKILL');
  await worker.exited;
}

function victimWorker(rig: ChaosRig, schedule: FaultSchedule): AppProcessHandle {
  // The orchestrator the clients call first; the replica takes over.
  if (schedule.fault.target === 'orchestrator') return rig.cluster.orchestrator;
  const pool = schedule.fault.target === 'llm' ? rig.cluster.llmWorkers : rig.cluster.slmWorkers;
  const worker = pool[schedule.victim];
  if (worker === undefined) throw new Error(`${schedule.fault.name}: no worker ${schedule.victim + 1} of ${pool.length}`);
  return worker;
}

/** Runs the fault to its end (see the file comment). */
export async function injectFault(rig: ChaosRig, schedule: FaultSchedule, janitor: ProcessJanitor): Promise<void> {
  const { target, action, durationMs } = schedule.fault;
  if (target === 'nats' || target === 'redis') {
    const server = rig[target];
    if (action === 'kill') return killServer(server, durationMs ?? 0, janitor);
    return freezeProcess(server.pid, durationMs ?? 0, janitor);
  }
  const worker = victimWorker(rig, schedule);
  if (action === 'kill') return killWorker(worker);
  return freezeProcess(worker.pid, durationMs ?? 0, janitor);
}

/** Which process the fault hits, for the log. */
export function faultVictim(rig: ChaosRig, schedule: FaultSchedule): string {
  const { target } = schedule.fault;
  if (target === 'nats' || target === 'redis') return `${target} (pid ${rig[target].pid})`;
  const worker = victimWorker(rig, schedule);
  return `${worker.name} (pid ${worker.pid})`;
}
