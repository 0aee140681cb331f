/** Why a GGUF file could not be loaded. */
export type ModelLoadFailure = 'missing' | 'not-a-file' | 'not-gguf' | 'rejected-by-llama-cpp';

/** A model file is missing, is not a GGUF file, or llama.cpp refused it. Names the file. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';

  constructor(
    readonly path: string,
    readonly reason: ModelLoadFailure,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot load model ${path}: ${detail}`, options);
  }
}
