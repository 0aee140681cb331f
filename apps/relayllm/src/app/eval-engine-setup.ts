import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ModelSource } from '@relayllm/app-kit';
import type { RunSetup } from '@relayllm/eval';
import { modelSources, type RelayllmConfig } from './config';

/** A file's sha256, streamed (a teacher GGUF can be gigabytes). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sourceIdentity(source: ModelSource): Promise<string> {
  if (source.kind === 'endpoint') return `${source.baseUrl}#${source.model ?? ''}`;
  return `sha256:${await fileSha256(source.path)}`;
}

/**
 * What answers an eval's questions, for its run.json: the two models by content (a GGUF replaced in
 * place is another model) or by server address, and the chat template; with --target, the
 * RelayService's address (what serves there cannot be seen from here).
 */
export async function evalEngineSetup(config: RelayllmConfig, target: string | undefined): Promise<RunSetup> {
  if (target !== undefined) return { target };
  const { slm, llm } = modelSources(config);
  return {
    slm: await sourceIdentity(slm),
    llm: await sourceIdentity(llm),
    chat_template: config.chatTemplate === undefined ? 'default' : `sha256:${await fileSha256(config.chatTemplate)}`,
  };
}
