// Model manifests (models/<name>.json) and the graph files they name, read from the npm package on disk; nothing is fetched.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { io } from '@tensorflow/tfjs-core';
import { InputError } from '../core/errors.ts';
import type { ModelName } from './types.ts';

export interface ModelManifest {
  name: ModelName;
  package: string;
  packageVersion: string;
  /** Path of the TF.js graph JSON inside the package. */
  graph: string;
  /** Every file the model needs, path inside the package -> sha256. */
  files: Record<string, string>;
  input: { width: number; height: number };
  defaultMinScore: Record<string, number>;
  labels: string[];
}

const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

function isManifest(v: unknown, name: string): v is ModelManifest {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const input = m.input as Record<string, unknown> | undefined;
  return (
    m.name === name &&
    typeof m.package === 'string' &&
    typeof m.graph === 'string' &&
    typeof m.files === 'object' &&
    m.files !== null &&
    typeof input?.width === 'number' &&
    typeof input.height === 'number' &&
    typeof m.defaultMinScore === 'object' &&
    Array.isArray(m.labels)
  );
}

export async function readManifest(name: ModelName): Promise<ModelManifest> {
  const path = join(MODELS_DIR, `${name}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new InputError(`model manifest ${path}: cannot read it`, { cause });
  }
  if (!isManifest(parsed, name)) throw new InputError(`model manifest ${path}: missing name, package, graph, files, input, defaultMinScore or labels`);
  return parsed;
}

/**
 * Folder of an installed npm package. Found from its main entry, because some packages
 * (`@vladmandic/human`) have an `exports` map that hides `package.json`.
 */
export function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch (cause) {
    throw new InputError(`npm package ${pkg} is not installed (run npm install)`, { cause });
  }
  const suffix = `${sep}node_modules${sep}${pkg.split('/').join(sep)}`;
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    if (dir.endsWith(suffix)) return dir;
  }
  throw new InputError(`npm package ${pkg}: cannot find its folder from ${entry}`);
}

interface GraphJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: Record<string, object>;
}

/** Reads a model's graph and weights, checking every file against the manifest's sha256. */
export async function loadModelArtifacts(manifest: ModelManifest): Promise<io.ModelArtifacts> {
  const root = packageDir(manifest.package);
  const contents = new Map<string, Buffer<ArrayBuffer>>();
  for (const [file, sha256] of Object.entries(manifest.files)) {
    const path = join(root, file);
    let data: Buffer<ArrayBuffer>;
    try {
      data = await readFile(path);
    } catch (cause) {
      throw new InputError(`model ${manifest.name}: cannot read ${path} (is ${manifest.package} installed?)`, { cause });
    }
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== sha256) {
      throw new InputError(
        `model ${manifest.name}: ${path} is not the file models/${manifest.name}.json was written for ` +
          `(sha256 ${actual}, expected ${sha256}); ${manifest.package} ${manifest.packageVersion} is the tested version`,
      );
    }
    contents.set(file, data);
  }
  const graphData = contents.get(manifest.graph);
  if (!graphData) throw new InputError(`model ${manifest.name}: its graph ${manifest.graph} is not among its files`);
  const graph = JSON.parse(graphData.toString('utf8')) as GraphJson;
  const graphDir = dirname(manifest.graph);
  const weights: Array<Buffer<ArrayBuffer>> = [];
  for (const group of graph.weightsManifest) {
    for (const p of group.paths) {
      const data = contents.get(join(graphDir, p));
      if (!data) throw new InputError(`model ${manifest.name}: weight file ${join(graphDir, p)} is not listed in its manifest`);
      weights.push(data);
    }
  }
  // One weight file read whole fills its own ArrayBuffer, which TF.js then gets as it is: no copies of megabytes that
  // every detector thread would make (and fault in) for each model.
  const all: Buffer<ArrayBuffer> = weights.length === 1 ? (weights[0] as Buffer<ArrayBuffer>) : Buffer.concat(weights);
  const whole = all.byteOffset === 0 && all.byteLength === all.buffer.byteLength;
  const artifacts: io.ModelArtifacts = {
    modelTopology: graph.modelTopology as io.ModelArtifacts['modelTopology'],
    weightSpecs: graph.weightsManifest.flatMap((g) => g.weights),
    weightData: whole ? all.buffer : all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
  if (graph.format !== undefined) artifacts.format = graph.format;
  if (graph.generatedBy !== undefined) artifacts.generatedBy = graph.generatedBy;
  if (graph.convertedBy !== undefined) artifacts.convertedBy = graph.convertedBy;
  if (graph.signature !== undefined) artifacts.signature = graph.signature as object;
  if (graph.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = graph.userDefinedMetadata;
  return artifacts;
}
