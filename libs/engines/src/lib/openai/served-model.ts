import { InvalidArgumentReason, RelayError, UnavailableReason, type ChatTemplateSource, type ModelDescription } from '@relayllm/relay-core';

export interface ServedModelQuery {
  baseUrl: string;
  model: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  timeoutMs: number;
  chatTemplate: ChatTemplateSource | undefined;
  contextLength: number | undefined;
}

/** How to reach the server and which model to ask about. */
export type ServerQuery = Omit<ServedModelQuery, 'chatTemplate' | 'contextLength'>;

/** One entry of `/v1/models` as vLLM writes it (OpenAI's has no max_model_len). */
interface ModelEntry {
  id?: unknown;
  max_model_len?: unknown;
}

/**
 * A model behind an OpenAI-compatible server, described from GET
 * `{baseUrl}/v1/models`: the server must list it; its context length is
 * `max_model_len` (vLLM) or the operator's `contextLength`, the smaller when
 * both are known. The vocabulary is unknown (the id names the server and
 * model, so it is shared with no other model), commands are text.
 */
export async function describeServedModel(query: ServedModelQuery): Promise<ModelDescription> {
  return describeEntry(query, await findServedModel(query));
}

/**
 * The id of the model to request: `query.model`, which the server must list,
 * or (model '') the one model the server serves; a server with several needs
 * the operator to name one.
 */
export async function servedModelId(query: ServerQuery): Promise<string> {
  const entry = await findServedModel(query);
  return String(entry.id);
}

async function findServedModel(query: ServerQuery): Promise<ModelEntry> {
  const url = `${query.baseUrl.replace(/\/+$/, '')}/v1/models`;
  const entries = (await listModels(url, query)).filter((e) => typeof e.id === 'string' && e.id !== '');
  const served = entries.map((e) => String(e.id)).join(', ') || 'none';
  if (query.model === '') {
    if (entries.length === 1) return entries[0];
    throw RelayError.invalidArgument(InvalidArgumentReason.MODEL_DESCRIPTION_INVALID, `${url} serves ${served}: name the model (a URL ending in #model-id)`, 'model');
  }
  const entry = entries.find((e) => e.id === query.model);
  if (entry === undefined) {
    throw RelayError.invalidArgument(InvalidArgumentReason.MODEL_DESCRIPTION_INVALID, `${url} does not serve model "${query.model}" (it serves: ${served})`, 'model');
  }
  return entry;
}

function describeEntry(query: ServedModelQuery, entry: ModelEntry): ModelDescription {
  const url = `${query.baseUrl.replace(/\/+$/, '')}/v1/models`;
  const reported = typeof entry.max_model_len === 'number' && entry.max_model_len > 0 ? entry.max_model_len : undefined;
  const known = [reported, query.contextLength].filter((n): n is number => n !== undefined);
  if (known.length === 0) {
    throw RelayError.invalidArgument(
      InvalidArgumentReason.MODEL_DESCRIPTION_INVALID,
      `${url} does not report max_model_len for "${query.model}": give its context length`,
      'contextLength',
    );
  }
  return {
    profile: {
      name: query.model,
      vocabularyId: `served:${query.baseUrl}#${query.model}`,
      commandSyntax: { kind: 'text' },
      endOfTurnIds: [],
      contextLength: Math.min(...known),
    },
    chat: query.chatTemplate === undefined ? undefined : { kind: 'template', source: query.chatTemplate },
    tokenizer: undefined,
  };
}

async function listModels(url: string, query: ServerQuery): Promise<ModelEntry[]> {
  let response: Response;
  try {
    response = await query.fetch(url, { headers: query.headers, signal: AbortSignal.timeout(query.timeoutMs) });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw RelayError.unavailable(UnavailableReason.UPSTREAM_UNREACHABLE, `GET ${url} failed: ${detail}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw RelayError.unavailable(UnavailableReason.UPSTREAM_HTTP_ERROR, `HTTP ${response.status} from GET ${url}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw RelayError.unavailable(UnavailableReason.UPSTREAM_MALFORMED, `GET ${url}: no "data" list of models`);
  return data.filter((e): e is ModelEntry => typeof e === 'object' && e !== null);
}
