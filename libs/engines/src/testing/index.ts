// Test doubles for specs (also of other projects): a fake vLLM server.
export { FakeVllmServer, type FakeCompletion, type RecordedRequest } from './vllm-server.fake';
