// The SOP library of `sop-rules/` as a read-only gallery: each file's title, what it checks in plain words and the
// values people change (camera, durations, severities, schedules), and a filled copy of a file for one camera. The
// filled YAML keeps the file's comments and layout; it is validated by the SOP loader when it is checked or saved.
import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { loadSopText } from '../rules/sop-loader.ts';
import { explainSop } from '../rules/sop-explain.ts';
import { explainSopZh } from '../rules/sop-explain-zh.ts';

export const SOP_LIBRARY_DIR = resolve(import.meta.dirname, '../../sop-rules');

/** The duration keys a rule may carry, in the order a form shows them. */
export const DURATION_KEYS = ['min', 'max', 'for', 'max_gap', 'within'] as const;
export type DurationKey = (typeof DURATION_KEYS)[number];
export type Severity = 'low' | 'medium' | 'high';

export interface GallerySchedule { days: string[] | null; from: string; to: string; tz: string | null }

export interface GalleryRule {
  id: string;
  title: string;
  /** `title_zh` of the rule, when the file gives one. */
  titleZh: string | null;
  kind: string;
  severity: Severity;
  durations: Partial<Record<DurationKey, string>>;
  schedule: GallerySchedule | null;
}

export interface GalleryEntry {
  /** The file's name in sop-rules/, e.g. hand-washing.yaml. */
  name: string;
  sopId: string;
  title: string;
  titleZh: string | null;
  description: string | null;
  /** What the file checks, in plain words (the SOP explanation), in English and in Simplified Chinese. */
  explanation: string;
  explanationZh: string;
  /** The camera its zones are drawn for (the first of `cameras`). */
  camera: string;
  zones: string[];
  rules: GalleryRule[];
  yaml: string;
}

export interface GalleryValues {
  /** The store camera the copy is for: `cameras:` and the zones' camera key become this name. */
  camera?: string;
  /** New SOP id (default the file's). */
  sopId?: string;
  rules?: Record<string, { severity?: Severity; durations?: Partial<Record<DurationKey, string>>; schedule?: GallerySchedule | null }>;
}

let cache: Promise<GalleryEntry[]> | undefined;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function entryOf(name: string, yaml: string): GalleryEntry | undefined {
  const load = loadSopText(yaml, name);
  if (!load.ok) return undefined;
  const raw = parseDocument(yaml).toJS() as Record<string, unknown>;
  const rules = (Array.isArray(raw.rules) ? raw.rules : []) as Array<Record<string, unknown>>;
  const zones = (raw.zones ?? {}) as Record<string, Record<string, unknown>>;
  const camera = load.sop.cameras[0] ?? '*';
  return {
    name,
    sopId: load.sop.id,
    title: load.sop.title,
    titleZh: load.sop.titleZh ?? null,
    description: str(raw.description)?.trim() ?? null,
    explanation: explainSop(load.sop),
    explanationZh: explainSopZh(load.sop),
    camera,
    zones: Object.keys(zones[camera] ?? Object.values(zones)[0] ?? {}),
    rules: rules.map((r) => {
      const s = r.schedule as Record<string, unknown> | undefined;
      return {
        id: String(r.id),
        title: str(r.title) ?? String(r.id),
        titleZh: str(r.title_zh),
        kind: String(r.kind),
        severity: (str(r.severity) ?? 'medium') as Severity,
        durations: Object.fromEntries(DURATION_KEYS.flatMap((k) => (typeof r[k] === 'string' ? [[k, r[k]]] : []))),
        schedule: s === undefined ? null : { days: Array.isArray(s.days) ? s.days.map(String) : null, from: String(s.from), to: String(s.to), tz: str(s.tz) },
      };
    }),
    yaml,
  };
}

/** Every valid file of the library, by name (read once per process). */
export function sopGallery(dir = SOP_LIBRARY_DIR): Promise<GalleryEntry[]> {
  const load = async (): Promise<GalleryEntry[]> => {
    const names = (await readdir(dir)).filter((n) => /^[a-z0-9][a-z0-9-]*\.ya?ml$/.test(n)).sort();
    const out: GalleryEntry[] = [];
    for (const n of names) {
      const e = entryOf(n, await readFile(resolve(dir, n), 'utf8'));
      if (e !== undefined) out.push(e);
    }
    return out;
  };
  if (dir !== SOP_LIBRARY_DIR) return load();
  cache ??= load().catch((err: unknown) => {
    cache = undefined;
    throw err;
  });
  return cache;
}

function ruleIndex(doc: Document, id: string): number {
  const rules = doc.get('rules');
  if (!isSeq(rules)) return -1;
  return rules.items.findIndex((item) => isMap(item) && String(item.get('id')) === id);
}

/** The file with the values applied; comments and untouched keys stay as they were. Unknown rule ids are ignored. */
export function fillGalleryFile(entry: GalleryEntry, values: GalleryValues): string {
  const doc = parseDocument(entry.yaml);
  if (values.sopId !== undefined) doc.set('id', values.sopId);
  if (values.camera !== undefined && values.camera !== entry.camera) {
    const seq = doc.createNode([values.camera]);
    seq.flow = true;
    doc.set('cameras', seq);
    const zones = doc.get('zones');
    if (isMap(zones)) {
      const pair = zones.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === entry.camera);
      if (pair !== undefined) pair.key = doc.createNode(values.camera);
    }
  }
  for (const [id, v] of Object.entries(values.rules ?? {})) {
    const i = ruleIndex(doc, id);
    if (i < 0) continue;
    if (v.severity !== undefined) doc.setIn(['rules', i, 'severity'], v.severity);
    for (const [k, d] of Object.entries(v.durations ?? {})) {
      if (DURATION_KEYS.includes(k as DurationKey) && d !== undefined) doc.setIn(['rules', i, k], d);
    }
    if (v.schedule === null) doc.deleteIn(['rules', i, 'schedule']);
    else if (v.schedule !== undefined) {
      const { days, from, to, tz } = v.schedule;
      const node = doc.createNode({ ...(days === null ? {} : { days }), from, to, ...(tz === null ? {} : { tz }) });
      node.flow = true;
      doc.setIn(['rules', i, 'schedule'], node);
    }
  }
  return doc.toString({ lineWidth: 0 });
}
