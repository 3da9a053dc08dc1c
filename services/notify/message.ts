// What a notification says, independent of where it goes: built when the outbox row is written, rendered at send time.
// It names a station and a time, never a person; it carries no image (the link leads to blurred evidence behind sign-in).
import type { Severity } from '../core/contracts.ts';
import type { NotifiableViolation, ShiftSummary } from '../core/storage/notify-sources.repository.ts';
import { formatLocal } from './local-time.ts';

export interface ViolationFacts {
  violationId: string;
  storeId: string;
  storeName: string;
  cameraName: string;
  sop: string;
  rule: string;
  step: string | null;
  kind: string;
  severity: Severity;
  /** When it happened, for a reader: local wall-clock time, or the offset within an uploaded clip. */
  when: string;
  /** Wall-clock start (live cameras); absent for clips. */
  startIso?: string;
  message: string;
}

export type NotificationMessage =
  | { type: 'violation'; facts: ViolationFacts; link?: string; suppressed: number }
  | { type: 'escalation'; facts: ViolationFacts; link?: string; unreviewedMinutes: number }
  | { type: 'digest'; storeId: string; storeName: string; shiftStartIso: string; shiftEndIso: string; shiftLabel: string; summary: ShiftSummary; link?: string };

/** A message reduced to what every format shows: a title, labelled facts, free text and a link. */
export interface RenderedMessage {
  title: string;
  severity?: Severity;
  facts: Array<[string, string]>;
  text: string;
  link?: string;
}

const oneLine = (s: string, max = 300): string => s.replace(/\s+/g, ' ').trim().slice(0, max);

export function violationLink(dashboardUrl: string | undefined, violationId: string): string | undefined {
  return dashboardUrl === undefined ? undefined : `${dashboardUrl.replace(/\/+$/, '')}/violations/${encodeURIComponent(violationId)}`;
}

export function factsOf(v: NotifiableViolation): ViolationFacts {
  const when = v.startAt !== null
    ? formatLocal(v.startAt.getTime(), v.storeTz)
    : `uploaded clip, ${(v.startS ?? 0).toFixed(1)}–${(v.endS ?? v.startS ?? 0).toFixed(1)} s (analysed ${formatLocal(v.createdAt.getTime(), v.storeTz)})`;
  return {
    violationId: v.id,
    storeId: v.storeId,
    storeName: oneLine(v.storeName, 120),
    cameraName: oneLine(v.cameraName, 120),
    sop: v.sopId,
    rule: v.rule,
    step: v.step,
    kind: v.kind,
    severity: v.severity,
    when,
    ...(v.startAt === null ? {} : { startIso: v.startAt.toISOString() }),
    message: oneLine(v.message, 1000),
  };
}

function factLines(f: ViolationFacts): Array<[string, string]> {
  return [
    ['Store', f.storeName],
    ['Camera', f.cameraName],
    ['SOP / rule', `${f.sop} / ${f.rule}`],
    ...(f.step === null ? [] : [['Step', f.step] as [string, string]]),
    ['Kind', f.kind.replace(/_/g, ' ')],
    ['Severity', f.severity],
    ['Time', f.when],
  ];
}

export function render(m: NotificationMessage): RenderedMessage {
  const link = m.link === undefined ? {} : { link: m.link };
  switch (m.type) {
    case 'violation': {
      const what = m.facts.step === null ? m.facts.rule : `${m.facts.rule}: ${m.facts.step}`;
      const held = m.suppressed > 0 ? `\n(+${m.suppressed} similar on this camera held back by the cooldown since the last message)` : '';
      return { title: `[${m.facts.severity.toUpperCase()}] ${m.facts.storeName} · ${m.facts.cameraName} — ${what}`, severity: m.facts.severity, facts: factLines(m.facts), text: `${m.facts.message}${held}`, ...link };
    }
    case 'escalation':
      return {
        title: `Unreviewed for ${m.unreviewedMinutes} min: [${m.facts.severity.toUpperCase()}] ${m.facts.storeName} · ${m.facts.cameraName} — ${m.facts.rule}`,
        severity: m.facts.severity,
        facts: factLines(m.facts),
        text: `${m.facts.message}\nNobody has confirmed or dismissed this ${m.facts.severity}-severity violation yet.`,
        ...link,
      };
    case 'digest': {
      const s = m.summary;
      const rules = s.topRules.map((r) => `${r.sop} / ${r.rule}: ${r.count}`).join('; ') || 'none';
      return {
        title: `Shift summary — ${m.storeName}, shift ending ${m.shiftLabel}`,
        facts: [
          ['Store', m.storeName],
          ['Violations', `${s.total} (high ${s.bySeverity.high}, medium ${s.bySeverity.medium}, low ${s.bySeverity.low})`],
          ['Awaiting review', `${s.unreviewed} (of which doubtful: ${s.needsReview})`],
          ['Held back by cooldown', String(s.suppressed)],
          ['Most frequent', rules],
        ],
        text: s.total === 0 ? 'No violations were recorded in this shift.' : 'Open the dashboard to review them.',
        ...link,
      };
    }
  }
}

/** Plain text: e-mail bodies, Feishu text messages, the `text` field of the plain webhook. */
export function toPlainText(r: RenderedMessage): string {
  const lines = [r.title, '', ...r.facts.map(([k, v]) => `${k}: ${v}`), '', r.text];
  if (r.link !== undefined) lines.push('', r.link);
  return lines.join('\n');
}

/** The common markdown dialect of WeCom, DingTalk and Feishu cards: bold labels, a link at the end. */
export function toMarkdown(r: RenderedMessage, options: { heading?: boolean } = {}): string {
  const lines = options.heading === false ? [] : [`### ${r.title}`];
  lines.push(...r.facts.map(([k, v]) => `**${k}:** ${v}`), '', r.text.replace(/\n/g, '\n\n'));
  if (r.link !== undefined) lines.push('', `[Open in sopwatch](${r.link})`);
  return lines.join('\n');
}
