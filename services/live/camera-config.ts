// The cameras file (cameras.yaml): one strict TypeBox schema for the cameras a store has and how they are watched;
// errors come back as file:line:col. Passwords are never written here: each camera names an environment variable.
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from '../core/errors.ts';

const strict = { additionalProperties: false } as const;

export const CameraSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Camera id, as SOP files name it in `cameras:` and `zones:`.' }),
  tags: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Tags SOP files may name instead of the id.' }),
  host: Type.String({ minLength: 1, description: 'The camera\'s address. Stream and snapshot URIs the camera returns must point at this host, or they are refused.' }),
  onvifPort: Type.Integer({ minimum: 1, maximum: 65535, default: 80, description: 'ONVIF (HTTP) port.' }),
  // No control characters (header injection) and no colon (Basic authentication splits user and password at it).
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\x00-\\x1f\\x7f:]+$', description: 'User for ONVIF, RTSP and snapshots (a viewer account is enough).' })),
  passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Name of the environment variable holding the password (this file only: the API refuses it and stores the password itself, encrypted). The password itself never goes in this file.' })),
  auth: Type.Union([Type.Literal('auto'), Type.Literal('digest')], { default: 'auto', description: 'ONVIF auth: auto (WS-Security, and HTTP Digest when asked) or digest (Digest only).' }),
  profile: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'ONVIF profile token; default: the low-resolution (sub-stream) profile.' })),
  rtspUrl: Type.Optional(Type.String({ pattern: '^rtsps?://', description: 'RTSP URL without credentials, to skip ONVIF; must point at `host`.' })),
  rtspPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [554], description: 'Ports an RTSP URI may use.' }),
  snapshotPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [], description: 'Ports a snapshot URI may use; empty means the ONVIF port only.' }),
  snapshotUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Snapshot URL without credentials, to skip ONVIF; must point at `host`.' })),
  source: Type.Union([Type.Literal('auto'), Type.Literal('rtsp'), Type.Literal('snapshot')], { default: 'auto', description: 'auto: RTSP, falling back to snapshots when the stream keeps failing; or one of them only.' }),
  transport: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { default: 'tcp', description: 'RTSP transport.' }),
  fps: Type.Number({ exclusiveMinimum: 0, maximum: 5, default: 2, description: 'Frames per second analysed (1-5 suits SOP work).' }),
  maxWidth: Type.Integer({ minimum: 160, maximum: 1920, default: 640, description: 'Wider pictures are scaled down to this width.' }),
}, { ...strict, description: 'One camera.' });
export type CameraConfig = Static<typeof CameraSchema>;

export const LiveConfigSchema = Type.Object({
  cameras: Type.Array(CameraSchema, { default: [], description: 'The cameras to watch.' }),
  stallMs: Type.Integer({ minimum: 500, default: 20_000, description: 'No frame for this long: the camera is offline and its stream is restarted.' }),
  startTimeoutMs: Type.Integer({ minimum: 500, default: 20_000, description: 'A (re)started stream may take this long to give its first frame.' }),
  backoffInitialMs: Type.Integer({ minimum: 10, default: 1_000, description: 'First delay before a restart; doubles on each failure, with jitter.' }),
  backoffMaxMs: Type.Integer({ minimum: 10, default: 60_000, description: 'Longest delay between restarts.' }),
  stableMs: Type.Integer({ minimum: 0, default: 60_000, description: 'Online this long before failing resets the backoff (a flapping camera keeps backing off).' }),
  leaseTtlMs: Type.Integer({ minimum: 1_000, default: 15_000, description: 'With Redis: a dead worker\'s cameras are taken over after about this long.' }),
  evidenceBeforeMs: Type.Integer({ minimum: 0, default: 5_000, description: 'Seconds of frames kept before a violation.' }),
  evidenceAfterMs: Type.Integer({ minimum: 0, default: 5_000, description: 'Seconds of frames kept after a violation.' }),
}, { ...strict, description: 'cameras.yaml: live cameras and how they are supervised.' });
export type LiveConfig = Static<typeof LiveConfigSchema>;

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
