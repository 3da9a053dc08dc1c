// A clip's decisions as a labels file (pure): confirmed alerts are labels, undecided ones may-items, dismissed ones left out.
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

export interface LabelsExportInput {
  clipFile: string;
  sopFile: string;
  sopId: string;
  camera?: string;
  alerts: readonly DecidedAlert[];
}

const isKind = (k: string): k is LabelsFile['violations'][number]['kind'] => (VIOLATION_KINDS as readonly string[]).includes(k);

/**
 * The labels file `sopwatch eval` reads. A dismissed alert is a false alarm: it is not listed, so a detection
 * there counts as extra. An alert nobody decided yet is a may-item (counted neither way) until someone does.
 */
export function labelsFileText(input: LabelsExportInput): string {
  const rows = input.alerts
    .filter((a) => a.status !== 'dismissed' && isKind(a.kind))
    .sort((a, b) => a.start - b.start || a.rule.localeCompare(b.rule))
    .map((a) => ({ rule: a.rule, kind: a.kind as LabelsFile['violations'][number]['kind'], start: a.start, end: a.end, ...(a.status === 'confirmed' ? {} : { may: true }) }));
  const file: LabelsFile = { clip: input.clipFile, sop: input.sopFile, ...(input.camera === undefined ? {} : { camera: input.camera }), violations: rows };
  const dismissed = input.alerts.filter((a) => a.status === 'dismissed').length;
  const header = [
    `# Labels for ${input.clipFile} from the decisions made in sopwatch on SOP "${input.sopId}":`,
    '# confirmed alerts are labels, alerts nobody decided yet are may-items (counted neither way),',
    `# dismissed alerts (${dismissed}) are left out: a detection there counts as extra. Check with \`sopwatch eval\`.`,
  ];
  return `${header.join('\n')}\n${stringify(file, { flowCollectionPadding: true, collectionStyle: 'block' })}`;
}
