// Builds the VLM agent from sopwatch.yaml when it names providers; none otherwise (verify steps -> needs_review).
import { loadConfig } from '../core/config.ts';
import { createVlmAgent, type VlmAgent } from '../agent/index.ts';

export async function agentFromConfig(path: string | undefined): Promise<VlmAgent | undefined> {
  const config = await loadConfig(path);
  if (config.vlm.providers.length === 0) return undefined;
  return createVlmAgent(config.vlm);
}
