/**
 * Test doubles and helpers for this library's specs (the SLM decorators of the eval policies). Not for production code
 * paths; the library's barrel does not export them.
 */
export { ScriptedDistributionEngine } from './scripted-distribution-engine';
export { collectChunks, completeRelay, outcomeOf, relayRequestOf, slmEngineRequest } from './engine-harness';
