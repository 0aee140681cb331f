import { credentials, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { SlmGenerateRequest, SlmWorkerServiceClient, type EngineRequest, type SlmClientFrame, type SlmWorkerFrame } from '@relayllm/proto';
import { ScriptEngineFake, startInProcessWorker, type InProcessWorker } from '../../testing';

/** The worker side spoken to frame by frame, as a misbehaving client would. */

type Call = ClientDuplexStream<SlmClientFrame, SlmWorkerFrame>;

function outcome(call: Call): Promise<{ frames: SlmWorkerFrame[]; code: number; reason?: string }> {
  const frames: SlmWorkerFrame[] = [];
  return new Promise((resolve) => {
    call.on('data', (f: SlmWorkerFrame) => frames.push(f));
    call.on('error', (e: ServiceError) => resolve({ frames, code: e.code, reason: e.metadata.get('relayllm-error-reason')[0] as string }));
    call.on('end', () => resolve({ frames, code: status.OK }));
  });
}

const request = (generateSeq: number, extra: Partial<EngineRequest> = {}): SlmGenerateRequest =>
  SlmGenerateRequest.fromPartial({ generateSeq, request: { contextText: 'Q?\n', maxTokens: 4, ...extra }, pauseTokens: [] });

describe('SlmStreamService protocol guards', () => {
  let worker: InProcessWorker;
  let client: SlmWorkerServiceClient;
  beforeEach(async () => {
    worker = await startInProcessWorker('w', new ScriptEngineFake({ prompt: 'Q?\n', script: 'abcdefgh</s>' }), { maxStreams: 2, idleTimeoutMs: 200 });
    client = new SlmWorkerServiceClient(worker.info.address, credentials.createInsecure());
  });
  afterEach(() => {
    client.close();
    worker.kill();
  });

  it('refuses an append before start (INVALID_ARGUMENT)', async () => {
    const call = client.decode();
    const done = outcome(call);
    call.write({ frame: { $case: 'append', value: { request: request(1) } } });
    expect(await done).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'WORKER_PROTOCOL' });
  });

  it('refuses a second stream for a generation that has one (FAILED_PRECONDITION)', async () => {
    const first = client.decode();
    const firstDone = outcome(first);
    first.write({ frame: { $case: 'start', value: { generationId: 'g', request: request(1) } } });
    const second = client.decode();
    const done = outcome(second);
    second.write({ frame: { $case: 'start', value: { generationId: 'g', request: request(1) } } });
    expect(await done).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'GENERATION_IN_USE' });
    first.end();
    const ended = await firstDone;
    expect(ended.code).toBe(status.OK);
    expect(ended.frames.flatMap((f) => (f.frame?.$case === 'chunks' ? (f.frame.value.chunks?.tokens ?? []) : []))).toHaveLength(4);
  });

  it('a generate error is an error frame and the stream stays usable', async () => {
    const call = client.decode();
    const done = outcome(call);
    call.write({ frame: { $case: 'start', value: { generationId: 'g', request: request(1) } } });
    // Offsets beyond the held context: the worker cannot rebuild it.
    call.write({ frame: { $case: 'append', value: { request: request(2, { appendOnly: true, appendFrom: { text: 99 }, contextIsTail: true }) } } });
    call.write({ frame: { $case: 'append', value: { request: request(3) } } });
    call.end();
    const { frames, code } = await done;
    expect(code).toBe(status.OK);
    expect(frames.find((f) => f.frame?.$case === 'error')?.frame?.value).toMatchObject({ generateSeq: 2, error: { reason: 'APPEND_MISMATCH' } });
    expect(frames.some((f) => f.frame?.$case === 'chunks' && f.frame.value.generateSeq === 3 && f.frame.value.chunks?.finish !== 0)).toBe(true);
  });

  it('ends an idle stream and frees its slot', async () => {
    const call = client.decode();
    const done = outcome(call);
    call.write({ frame: { $case: 'start', value: { generationId: 'g', request: request(1) } } });
    expect((await done).code).toBe(status.OK);
    const deadline = Date.now() + 2_000;
    while (worker.service.activeStreams > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(worker.service.activeStreams).toBe(0);
  });

  it('a client that disconnects mid-generate: the engine is stopped and the slot freed', async () => {
    const slow = new ScriptEngineFake({ prompt: 'Q?\n', script: 'x'.repeat(400), delayMs: 2 });
    const other = await startInProcessWorker('slow', slow, { maxStreams: 1 });
    const otherClient = new SlmWorkerServiceClient(other.info.address, credentials.createInsecure());
    try {
      const call = otherClient.decode();
      call.on('error', () => undefined);
      const firstFrame = new Promise<void>((resolve) => call.once('data', () => resolve()));
      call.write({ frame: { $case: 'start', value: { generationId: 'g', request: request(1, { maxTokens: 300 }) } } });
      await firstFrame;
      expect(slow.busySequences()).toBe(1);
      call.cancel();
      const deadline = Date.now() + 5_000;
      while ((slow.busySequences() > 0 || other.service.activeStreams > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect({ busy: slow.busySequences(), streams: other.service.activeStreams }).toEqual({ busy: 0, streams: 0 });
      expect(slow.produced).toBeLessThan(300);
    } finally {
      otherClient.close();
      other.kill();
    }
  });
});
