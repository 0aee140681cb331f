import type { SavedSegment } from './generation-state-record';
import { ProgressLog } from './progress-log';
import type { RecordedStream } from './stream-recorder';

const slmStream: RecordedStream = { role: 'slm', chunks: [{ tokens: [1, 2], text: 'a"b', tokenTexts: ['a', '"b'] }] };
const llmStream: RecordedStream = { role: 'llm', chunks: [{ tokens: [], text: 'ü\n', tokenCount: 1, finish: 'length' }] };

describe('ProgressLog', () => {
  it('serializes what a checkpoint covers exactly as JSON.stringify of the whole arrays would', () => {
    const log = new ProgressLog();
    const segments: SavedSegment[] = [
      ['SLM', 'a"b', 2],
      ['LLM', 'ü\n', 1],
    ];
    for (const segment of segments) log.addSegment(segment);
    log.addStreams([slmStream, llmStream]);
    const snapshot = log.snapshot(log.mark(1));
    expect(JSON.parse(snapshot.transcriptJson)).toEqual(segments);
    expect(JSON.parse(snapshot.streamsJson)).toEqual([slmStream, llmStream]);
    expect(snapshot).toMatchObject({ turn: 1, responseTokens: 3 });
  });

  it('a mark covers the log as it was when marked, whatever is added before the write starts', () => {
    const log = new ProgressLog();
    log.addSegment(['SLM', 'x', 1]);
    log.addStreams([slmStream]);
    const mark = log.mark(0);
    log.addSegment(['LLM', 'y', 4]);
    log.addStreams([llmStream]);
    const snapshot = log.snapshot(mark);
    expect(JSON.parse(snapshot.transcriptJson)).toEqual([['SLM', 'x', 1]]);
    expect(JSON.parse(snapshot.streamsJson)).toEqual([slmStream]);
    expect(snapshot.responseTokens).toBe(1);
  });

  it('an empty log is two empty arrays', () => {
    const snapshot = new ProgressLog().snapshot(new ProgressLog().mark(0));
    expect([snapshot.transcriptJson, snapshot.streamsJson]).toEqual(['[]', '[]']);
  });
});
