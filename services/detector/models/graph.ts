// Loads one model's graph from its manifest into the running TF.js backend.
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import type { io } from '@tensorflow/tfjs-core';
import { InputError } from '../../core/errors.ts';
import { loadModelArtifacts, readManifest, type ModelManifest } from '../model-files.ts';
import type { ModelName } from '../types.ts';

export interface LoadedGraph {
  manifest: ModelManifest;
  graph: GraphModel;
}

/** `adapt` may change the graph in memory before TF.js reads it (after the files were checked against the manifest). */
export async function loadGraph(name: ModelName, adapt?: (artifacts: io.ModelArtifacts, manifest: ModelManifest) => void): Promise<LoadedGraph> {
  const manifest = await readManifest(name);
  const artifacts = await loadModelArtifacts(manifest);
  adapt?.(artifacts, manifest);
  try {
    return { manifest, graph: await loadGraphModel({ load: async () => artifacts }) };
  } catch (cause) {
    throw new InputError(`model ${name}: TF.js cannot load its graph`, { cause });
  }
}
