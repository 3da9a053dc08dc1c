// A clip's decisions and labels as a labels file (pure): confirmed alerts and "missed here" marks are labels, undecided
// alerts may-items, dismissed alerts (and those kept as "not a violation") left out.
import { stringify } from 'yaml';
import type { LabelsFile } from './labels-file.schema.ts';
import { VIOLATION_KINDS } from './labels-file.schema.ts';

export interface DecidedAlert {
  rule: string;
  kind: string;
  start: number;
  end: number;
  status: 'open' | 'confirmed' | 'dismissed' | 'needs_review';
}

/** A label a person put on the clip's timeline (ClipLabelRepository). */
export interface TimelineLabel {
  label: 'missed' | 'not_violation';
  rule: string;
  kind: string;
  start: number;
  end: number;
  note: string | null;
  violationId: string | null;
}

export interface LabelsExportInput {
  clipFile: string;
  sopFile: string;
  sopId: string;
  camera?: string;
  alerts: readonly (DecidedAlert & { id?: string })[];
  labels?: readonly TimelineLabel[];
}

const isKind = (k: string): k is LabelsFile['violations'][number]['kind'] => (VIOLATION_KINDS as readonly string[]).includes(k);

/**
 * The labels file `sopwatch eval` reads. A dismissed alert is a false alarm: it is not listed, so a detection
 * there counts as extra. An alert nobody decided yet is a may-item (counted neither way) until someone does.
 */
export function labelsFileText(input: LabelsExportInput): string {
  const labels = input.labels ?? [];
  // A person said "not a violation" about these alerts: they stay out whatever their status became since.
  const cleared = new Set(labels.flatMap((l) => (l.label === 'not_violation' && l.violationId !== null ? [l.violationId] : [])));
  type Item = LabelsFile['violations'][number];
  const rows: Item[] = [
    ...input.alerts
      .filter((a) => a.status !== 'dismissed' && isKind(a.kind) && !(a.id !== undefined && cleared.has(a.id)))
      .map((a): Item => ({ rule: a.rule, kind: a.kind as Item['kind'], start: a.start, end: a.end, ...(a.status === 'confirmed' ? {} : { may: true }) })),
    ...labels
      .filter((l) => l.label === 'missed' && isKind(l.kind))
      .map((l): Item => ({ rule: l.rule, kind: l.kind as Item['kind'], start: l.start, end: l.end, note: l.note === null ? 'missed here' : `missed here: ${l.note}` })),
  ].sort((a, b) => a.start - b.start || a.rule.localeCompare(b.rule));
  const file: LabelsFile = { clip: input.clipFile, sop: input.sopFile, ...(input.camera === undefined ? {} : { camera: input.camera }), violations: rows };
  const dismissed = input.alerts.filter((a) => a.status === 'dismissed' || (a.id !== undefined && cleared.has(a.id))).length;
  const missed = labels.filter((l) => l.label === 'missed').length;
  const header = [
    `# Labels for ${input.clipFile} from the decisions made in sopwatch on SOP "${input.sopId}":`,
    '# confirmed alerts are labels, alerts nobody decided yet are may-items (counted neither way),',
    `# dismissed alerts (${dismissed}) are left out: a detection there counts as extra. Check with \`sopwatch eval\`.`,
    ...(missed === 0 ? [] : [`# ${missed} violation(s) marked "missed here" on the timeline are labels too (note: missed here).`]),
    ...labels.filter((l) => l.label === 'not_violation').map((l) => `# not a violation: ${l.rule} ${l.start}-${l.end} s: ${(l.note ?? '').replace(/[\r\n]+/g, ' ')}`),
  ];
  return `${header.join('\n')}\n${stringify(file, { flowCollectionPadding: true, collectionStyle: 'block' })}`;
}
