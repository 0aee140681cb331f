// Test doubles for specs (also of other projects): a fake vLLM server.
export { FakeVllmServer, type FakeCompletion, type RecordedRequest } from './vllm-server.fake';
// Real engines for integration specs: the reference pair on llama.cpp.
export { startReferenceLlamaPair, type ReferenceLlamaPair } from './reference-llama-pair';
