export { ScriptEngineFake, type ScriptEngineOptions } from './script-engine.fake';
export { startInProcessWorker, type InProcessWorker } from './in-process-worker';
export { collectChunks, pollUntil, specIds, specRequest, SPEC_PROMPT, SPEC_SCRIPT, textOfChunks } from './remote-slm-spec';
