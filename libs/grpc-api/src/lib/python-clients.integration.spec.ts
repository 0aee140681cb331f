/**
 * Integration tier: the API as clients written elsewhere see it, with
 * Debian's python3-grpcio + python3-protobuf, protoc and grpc_python_plugin
 * (installed by scripts/test.sh), against a real server on 127.0.0.1 whose
 * relay handler is runRelay over scripted engines (no models):
 *  - src/testing/python/reflection_client.py lists the services by server
 *    reflection, builds a DescriptorPool from the served descriptors alone and
 *    calls Generate, GenerateStream and health Check with classes from that pool;
 *  - the README's Python example: its protoc command and its client, verbatim;
 *  - a client on those stubs sending a confidence floor (a nested message with
 *    a proto3 optional field) and reading the call records' confidence_floor.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import { runRelay, type RelayRequest, type RelayStreamEvent, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import type { RelayServiceHandler } from '@relayllm/front-door';
import { createRelayGrpcServer, type RelayGrpcServer } from './server';

const run = promisify(execFile);
/** Debian's interpreter: the python3 first on PATH may be a build without Debian's packages. */
const PYTHON = '/usr/bin/python3';
const CLIENT = join(__dirname, '../testing/python/reflection_client.py');
const ROOT = resolve(__dirname, '../../../..');

/** The first ```<language> block after the README line starting with `marker`. */
function readmeBlock(marker: string, language: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf(`\n${marker}`);
  if (from < 0) throw new Error(`README.md has no line starting with "${marker}"`);
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(readme.slice(from));
  if (match === null) throw new Error(`README.md has no \`\`\`${language} block after "${marker}"`);
  return match[1];
}

/** The protoc command of the README's Python example, run in `dir` (with `proto` linked in): stubs under dir/relayllm_py. */
async function readmeStubs(dir: string): Promise<void> {
  await run('mkdir', ['-p', dir]);
  symlinkSync(join(ROOT, 'proto'), join(dir, 'proto'));
  await run('bash', ['-euo', 'pipefail', '-c', readmeBlock('From Python', 'sh')], { cwd: dir });
}

/**
 * runRelay over fresh scripted engines per call: the SLM calls the LLM once.
 * With a confidence floor the SLM writes no command but is unsure of its
 * first token ('a'), so a floor above 0.5 hands it to the LLM.
 */
class ScriptedRelayHandler implements RelayServiceHandler {
  readonly requests: RelayRequest[] = [];

  generate(request: RelayRequest, signal: AbortSignal): AsyncIterable<RelayStreamEvent> {
    this.requests.push(request);
    const slm = new ScriptedEngine(
      request.confidenceFloor === undefined ? ['ab<call>2</call>', 'c</s>'] : [{ text: 'ab', probabilities: [0.5, 1] }, { text: 'bc</s>', probabilities: [1, 1, 1] }],
    );
    const llm = new ScriptedEngine(['XYZ']);
    return runRelay({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, signal);
  }
}

/** A client on the README's stubs: a Generate with a confidence floor, and one whose call_tokens (0, present) is refused. */
const FLOOR_CLIENT = `
import json, sys
import grpc
from google.protobuf import json_format
from relayllm.v1 import relay_pb2, relay_pb2_grpc

with grpc.insecure_channel(sys.argv[1]) as channel:
    stub = relay_pb2_grpc.RelayServiceStub(channel)
    floor = relay_pb2.ConfidenceFloor(threshold=0.99, call_tokens=3)
    reply = stub.Generate(relay_pb2.GenerateRequest(prompt="Q: 2+2?", max_tokens=16, request_id="py-floor", confidence_floor=floor), timeout=10)
    out = {"reply": json_format.MessageToDict(reply, preserving_proto_field_name=True), "refused": None}
    try:
        zero = relay_pb2.ConfidenceFloor(threshold=0.5, call_tokens=0)
        stub.Generate(relay_pb2.GenerateRequest(prompt="Q", max_tokens=16, confidence_floor=zero), timeout=10)
    except grpc.RpcError as error:
        trailers = dict(error.trailing_metadata() or ())
        out["refused"] = {"code": error.code().name, "details": error.details(),
                          "field": trailers.get("relayllm-error-field"), "reason": trailers.get("relayllm-error-reason")}
    json.dump(out, sys.stdout)
`;

interface ClientReport {
  services: string[];
  files_by_service: Record<string, string[]>;
  file_by_filename: Record<string, string[] | string>;
  proto3_optional: string[];
  generate: { text: string; finish_reason: string; request_id: string; usage: Record<string, unknown> };
  generate_stream: Array<Record<string, unknown>>;
  health: { status: string };
}

let server: RelayGrpcServer;
let handler: ScriptedRelayHandler;
let target: string;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'relayllm-py-clients-'));
  handler = new ScriptedRelayHandler();
  server = createRelayGrpcServer({ relay: handler });
  target = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
});

afterAll(async () => {
  await server?.close(200);
  rmSync(work, { recursive: true, force: true });
});

describe('server reflection, read by Debian python3-grpcio / python3-protobuf', () => {
  let report: ClientReport;

  beforeAll(async () => {
    // The one protocol a reflection client knows beforehand: reflection itself.
    const reflectionProtoRoot = join(dirname(require.resolve('@grpc/reflection')), '../proto');
    const bootstrap = join(work, 'reflection.binpb');
    await run('protoc', ['-I', reflectionProtoRoot, `--descriptor_set_out=${bootstrap}`, 'grpc/reflection/v1/reflection.proto']);
    handler.requests.length = 0;
    const { stdout } = await run(PYTHON, [CLIENT, target, bootstrap], { timeout: 60_000 });
    report = JSON.parse(stdout) as ClientReport;
  }, 90_000);

  it('lists exactly the services the public port serves', () => {
    expect(report.services.sort()).toEqual(['grpc.health.v1.Health', 'relayllm.v1.RelayService']);
  });

  it('serves each .proto as its own file, with its imports, found by symbol and by file name', () => {
    expect(report.files_by_service).toEqual({
      'relayllm.v1.RelayService': ['relayllm/v1/relay.proto'],
      'grpc.health.v1.Health': ['health/v1/health.proto'],
    });
    expect(report.file_by_filename).toEqual({
      'health/v1/health.proto': ['health/v1/health.proto'],
      'relayllm/v1/relay.proto': ['relayllm/v1/relay.proto'],
      // A worker protocol: served on the workers' ports, not here.
      'relayllm/v1/slm_worker.proto': 'NOT_FOUND',
    });
  });

  it('keeps proto3 optional fields marked proto3_optional', () => {
    expect(report.proto3_optional).toEqual([
      'relayllm.v1.ConfidenceFloor.call_tokens',
      'relayllm.v1.GenerateRequest.call_bias',
      'relayllm.v1.GenerateRequest.seed',
      'relayllm.v1.GenerateRequest.temperature',
      'relayllm.v1.GenerateRequest.top_p',
      'relayllm.v1.RelayLimits.max_llm_tokens_per_call',
      'relayllm.v1.RelayLimits.max_llm_tokens_total',
      'relayllm.v1.RelayLimits.max_turns',
    ]);
  });

  it('makes Generate, GenerateStream and health Check from the served descriptors alone', () => {
    expect(report.generate).toMatchObject({ text: 'abXYc', finish_reason: 'FINISH_REASON_EOS', request_id: 'py-1' });
    expect(report.generate.usage).toMatchObject({ slm_tokens: 6, llm_tokens: 2, calls: 1 });
    const streamed = report.generate_stream.map((event) => (event['text'] as { text?: string } | undefined)?.text ?? '').join('');
    expect(streamed).toBe('abXYc');
    expect(report.generate_stream.at(-1)).toHaveProperty('completed');
    expect(report.health).toEqual({ status: 'SERVING' });
    // The message the client built carried temperature 0 as present (proto3 optional) and the nested limits.
    expect(handler.requests[0]).toMatchObject({ generationId: 'py-1', maxTokens: 16, sampling: { temperature: 0 }, maxTurns: 2 });
  });
});

describe("the README's Python example (Debian protoc + grpc_python_plugin stubs)", () => {
  it('generates stubs with the README command and runs the README client', async () => {
    const dir = join(work, 'readme-example');
    await readmeStubs(dir);
    writeFileSync(join(dir, 'client.py'), readmeBlock('From Python', 'python'));
    handler.requests.length = 0;
    const { stdout } = await run(PYTHON, ['client.py', target], {
      cwd: dir,
      timeout: 60_000,
      env: { ...process.env, PYTHONPATH: join(dir, 'relayllm_py') },
    });
    expect(stdout.split('\n')).toEqual([
      'abXYc',
      'FINISH_REASON_EOS rho = 0.25',
      "SOURCE_SLM 'a'",
      "SOURCE_SLM 'b'",
      "SOURCE_LLM 'X'",
      "SOURCE_LLM 'Y'",
      "SOURCE_SLM 'c'",
      '',
    ]);
    expect(handler.requests[0]).toMatchObject({ prompt: 'Compute f(756)*16.', maxTokens: 256, sampling: { temperature: 0 } });
  }, 90_000);
});

describe('a confidence floor from a Python client (README stubs)', () => {
  it('is sent as ConfidenceFloor {threshold 0.99, call_tokens 3}; the call it makes has confidence_floor true and requested_n 3', async () => {
    const dir = join(work, 'floor-client');
    await readmeStubs(dir);
    writeFileSync(join(dir, 'floor_client.py'), FLOOR_CLIENT);
    handler.requests.length = 0;
    const { stdout } = await run(PYTHON, ['floor_client.py', target], { cwd: dir, timeout: 60_000, env: { ...process.env, PYTHONPATH: join(dir, 'relayllm_py') } });
    const { reply, refused } = JSON.parse(stdout) as { reply: { text: string; call_records?: Array<Record<string, unknown>> }; refused: Record<string, string> | null };
    expect(handler.requests.find((r) => r.generationId === 'py-floor')?.confidenceFloor).toEqual({ threshold: 0.99, callTokens: 3 });
    // The SLM's unsure 'a' is dropped, the LLM writes three tokens in its place, then the SLM goes on: no command anywhere.
    expect(reply.text).toBe('XYZbc');
    // MessageToDict leaves out fields at their default: call_index 0, response_token_start 0, latency_ms 0 (a manual clock).
    expect(reply.call_records).toEqual([{ requested_n: 3, granted_n: 3, tokens_written: 3, response_token_end: 3, confidence_floor: true }]);
    // call_tokens is proto3 optional: an explicit 0 reaches the server as 0 (not the default 4) and is refused.
    expect(refused).toEqual({
      code: 'INVALID_ARGUMENT',
      details: 'confidence_floor.call_tokens: confidence_floor.call_tokens must be an integer in [1, 256], got 0 (CONFIDENCE_FLOOR_RANGE)',
      field: 'confidence_floor.call_tokens',
      reason: 'CONFIDENCE_FLOOR_RANGE',
    });
  }, 90_000);
});
