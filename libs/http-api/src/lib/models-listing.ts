import { pairProfile, type ModelProfile, type RelayModels } from '@relayllm/relay-core';
import type { WireModel, WireModelProfile } from './openai-wire';

function wireProfile(profile: ModelProfile): WireModelProfile {
  return {
    name: profile.name,
    context_length: profile.contextLength,
    vocabulary_id: profile.vocabularyId,
    command_syntax: profile.commandSyntax.kind,
  };
}

/**
 * The relay pair as `GET /v1/models` lists it: one model (the id clients
 * name), whose `relayllm` field describes the SLM and the LLM as they
 * describe themselves to the front door.
 */
export function toWireModel(id: string, models: RelayModels, createdSeconds: number): WireModel {
  const contextLength = Math.min(models.slm.profile.contextLength, models.llm.profile.contextLength);
  return {
    id,
    object: 'model',
    created: createdSeconds,
    owned_by: 'relayllm',
    max_model_len: contextLength,
    relayllm: {
      policies: ['relay', 'slm_only', 'llm_only'],
      context_length: contextLength,
      ids_travel: pairProfile(models.slm.profile, models.llm.profile).idsTravel,
      slm: wireProfile(models.slm.profile),
      llm: wireProfile(models.llm.profile),
    },
  };
}
