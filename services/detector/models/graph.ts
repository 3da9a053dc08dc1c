// Loads one model's graph from its manifest into the running TF.js backend.
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { InputError } from '../../core/errors.ts';
import { loadModelArtifacts, readManifest, type ModelManifest } from '../model-files.ts';
import type { ModelName } from '../types.ts';

export interface LoadedGraph {
  manifest: ModelManifest;
  graph: GraphModel;
}

export async function loadGraph(name: ModelName): Promise<LoadedGraph> {
  const manifest = await readManifest(name);
  const artifacts = await loadModelArtifacts(manifest);
  try {
    return { manifest, graph: await loadGraphModel({ load: async () => artifacts }) };
  } catch (cause) {
    throw new InputError(`model ${name}: TF.js cannot load its graph`, { cause });
  }
}
