// The cameras file (cameras.yaml) read and checked against its schema (camera-schema.ts); errors come back as
// file:line:col. Passwords are never written here: each camera names an environment variable.
import { readFile } from 'node:fs/promises';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from '../core/errors.ts';
import { LiveConfigSchema, type LiveConfig } from './camera-schema.ts';

export { CameraSchema, LiveConfigSchema, type CameraConfig, type LiveConfig } from './camera-schema.ts';

function lineCol(doc: ReturnType<typeof parseDocument>, counter: LineCounter, pointer: string): { line: number; col: number } {
  const path = pointer.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return counter.linePos(range[0]);
  }
  return { line: 1, col: 1 };
}

/** Parses and checks the text of a cameras file; every problem is listed as `file:line:col: message`. */
export function parseLiveConfig(text: string, file: string): LiveConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new InputError(doc.errors.map((e) => `${file}:${counter.linePos(e.pos[0]).line}:${counter.linePos(e.pos[0]).col}: ${e.message}`).join('\n'));
  const value = Value.Default(LiveConfigSchema, structuredClone(doc.toJS() ?? {}));
  const problems = [...Value.Errors(LiveConfigSchema, value)].map((e) => {
    const { line, col } = lineCol(doc, counter, e.path);
    return `${file}:${line}:${col}: ${e.path.split('/').slice(1).join('.') || '(top level)'}: ${e.message.toLowerCase()}`;
  });
  const config = value as LiveConfig;
  const seen = new Set<string>();
  config.cameras?.forEach((c, i) => {
    if (seen.has(c.id)) {
      const { line, col } = lineCol(doc, counter, `/cameras/${i}/id`);
      problems.push(`${file}:${line}:${col}: duplicate camera id "${c.id}"`);
    }
    seen.add(c.id);
  });
  if (problems.length > 0) throw new InputError(problems.join('\n'));
  return config;
}

export async function loadLiveConfig(path: string): Promise<LiveConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new InputError(`${path}: cannot read the cameras file`, { cause });
  }
  return parseLiveConfig(text, path);
}

/** The same checks and defaults for an object (tests, `sopwatch simulate`). */
export function liveConfigFromObject(raw: unknown): LiveConfig {
  const value = Value.Default(LiveConfigSchema, structuredClone(raw ?? {}));
  const problems = [...Value.Errors(LiveConfigSchema, value)].map((e) => `${e.path || '(top level)'}: ${e.message.toLowerCase()}`);
  if (problems.length > 0) throw new InputError(`camera config: ${problems.join('; ')}`);
  return value as LiveConfig;
}
