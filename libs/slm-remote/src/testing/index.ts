export { ScriptEngineFake, type ScriptEngineOptions } from './script-engine.fake';
export { startInProcessWorker, type InProcessWorker } from './in-process-worker';
