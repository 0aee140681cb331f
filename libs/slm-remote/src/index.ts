// Worker side: serve Decode streams over an Engine.
export { SlmStreamService } from './lib/server/slm-stream-service';
export { DEFAULT_SLM_STREAM_SETTINGS, type SlmStreamSettings } from './lib/server/settings';

// Orchestrator side: relay-core's Engine over SLM workers (the remote-engine skeleton with the stream transport).
export { RemoteSlmEngine, type RemoteSlmEngineOptions, type SlmFailoverEvent } from './lib/client/remote-slm-engine';
export { SlmStreamTransport, type SlmStreamTransportOptions } from './lib/client/slm-stream-transport';
export { slmPausePoints, type SlmPausePoints } from './lib/client/slm-pause-points';
export { StaticSlmWorkerDirectory, type SlmWorkerDirectory, type SlmWorkerInfo } from './lib/client/slm-worker-directory';

export { errorFrame, errorFromFrame, generateFromWire, generateToWire, type GenerateEnvelope, type ReceivedGenerate } from './lib/frames';
