// What a notification says, independent of where it goes: built when the outbox row is written, rendered at send time.
// It names a station and a time, never a person; it carries no image (the link leads to blurred evidence behind sign-in).
import type { Severity } from '../core/contracts.ts';
import type { NotifiableViolation, ShiftSummary } from '../core/storage/notify-sources.repository.ts';
import type { MessageParts } from '../core/message-parts.ts';
import { messageText } from '../rules/message-text.ts';
import { formatLocal } from './local-time.ts';
import { WORDS, type NotifyLanguage } from './message-words.ts';

export interface ViolationFacts {
  violationId: string;
  storeId: string;
  storeName: string;
  cameraName: string;
  sop: string;
  rule: string;
  /** The rule's title and `title_zh` in its SOP file, when known (rows planned before they were kept have none). */
  ruleTitle?: string | null;
  ruleTitleZh?: string | null;
  step: string | null;
  /** The step's title and `title_zh`, when known. */
  stepTitle?: string | null;
  stepTitleZh?: string | null;
  kind: string;
  severity: Severity;
  /** When it happened, for a reader: local wall-clock time, or the offset within an uploaded clip (in English). */
  when: string;
  /** For an uploaded clip: the offsets in seconds and when it was analysed, local time; `when` in any language. */
  clip?: { startS: number; endS: number; analysed: string };
  /** Wall-clock start (live cameras); absent for clips. */
  startIso?: string;
  message: string;
  /** `message` as data, to be said in the store's language (services/rules/message-text.ts). */
  parts?: MessageParts | null;
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
  /** The language it is written in (default English): the formats take the link's label and punctuation from it. */
  language?: NotifyLanguage;
}

const oneLine = (s: string, max = 300): string => s.replace(/\s+/g, ' ').trim().slice(0, max);

export function violationLink(dashboardUrl: string | undefined, violationId: string): string | undefined {
  return dashboardUrl === undefined ? undefined : `${dashboardUrl.replace(/\/+$/, '')}/violations/${encodeURIComponent(violationId)}`;
}

export function factsOf(v: NotifiableViolation): ViolationFacts {
  const startS = v.startS ?? 0;
  const endS = v.endS ?? v.startS ?? 0;
  const analysed = formatLocal(v.createdAt.getTime(), v.storeTz);
  return {
    violationId: v.id,
    storeId: v.storeId,
    storeName: oneLine(v.storeName, 120),
    cameraName: oneLine(v.cameraName, 120),
    sop: v.sopId,
    rule: v.rule,
    ruleTitle: v.ruleTitle === null ? null : oneLine(v.ruleTitle, 200),
    ruleTitleZh: v.ruleTitleZh === null ? null : oneLine(v.ruleTitleZh, 200),
    step: v.step,
    stepTitle: v.stepTitle === null ? null : oneLine(v.stepTitle, 200),
    stepTitleZh: v.stepTitleZh === null ? null : oneLine(v.stepTitleZh, 200),
    kind: v.kind,
    severity: v.severity,
    when: v.startAt !== null ? formatLocal(v.startAt.getTime(), v.storeTz) : WORDS.en.uploadedClip(startS.toFixed(1), endS.toFixed(1), analysed),
    ...(v.startAt === null ? { clip: { startS, endS, analysed } } : { startIso: v.startAt.toISOString() }),
    message: oneLine(v.message, 1000),
    parts: v.messageParts,
  };
}

/** The rule as a reader knows it: its title in the language when the SOP file gives one, else its id. */
function ruleName(f: ViolationFacts, language: NotifyLanguage): string {
  const title = language === 'zh-CN' ? (f.ruleTitleZh ?? f.ruleTitle) : f.ruleTitle;
  return title ?? f.rule;
}

function stepName(f: ViolationFacts, language: NotifyLanguage): string | null {
  if (f.step === null) return null;
  const title = language === 'zh-CN' ? (f.stepTitleZh ?? f.stepTitle) : f.stepTitle;
  return title ?? f.step;
}

function when(f: ViolationFacts, language: NotifyLanguage): string {
  if (language === 'en' || f.clip === undefined) return f.when;
  return WORDS[language].uploadedClip(f.clip.startS.toFixed(1), f.clip.endS.toFixed(1), f.clip.analysed);
}

/** The engine's message in the language, from its parts; the stored English text when it has none. */
function said(f: ViolationFacts, language: NotifyLanguage): string {
  return language === 'en' ? f.message : oneLine(messageText(f.parts, 'zh', f.message), 1000);
}

function factLines(f: ViolationFacts, language: NotifyLanguage): Array<[string, string]> {
  const w = WORDS[language];
  return [
    [w.store, f.storeName],
    [w.camera, f.cameraName],
    [w.sopRule, `${f.sop} / ${ruleName(f, language)}`],
    ...(f.step === null ? [] : [[w.step, stepName(f, language) ?? f.step] as [string, string]]),
    [w.kind, w.kindWord(f.kind)],
    [w.severity, w.severityWord(f.severity)],
    [w.time, when(f, language)],
  ];
}

export function render(m: NotificationMessage, language: NotifyLanguage = 'en'): RenderedMessage {
  const w = WORDS[language];
  const base = { language, ...(m.link === undefined ? {} : { link: m.link }) };
  switch (m.type) {
    case 'violation': {
      const rule = ruleName(m.facts, language);
      const step = stepName(m.facts, language);
      const what = step === null ? rule : `${rule}${w.colon}${step}`;
      const held = m.suppressed > 0 ? `\n${w.held(m.suppressed)}` : '';
      return { title: w.violationTitle(m.facts.severity, m.facts.storeName, m.facts.cameraName, what), severity: m.facts.severity, facts: factLines(m.facts, language), text: `${said(m.facts, language)}${held}`, ...base };
    }
    case 'escalation':
      return {
        title: w.escalationTitle(m.unreviewedMinutes, m.facts.severity, m.facts.storeName, m.facts.cameraName, ruleName(m.facts, language)),
        severity: m.facts.severity,
        facts: factLines(m.facts, language),
        text: `${said(m.facts, language)}\n${w.escalationText(m.facts.severity)}`,
        ...base,
      };
    case 'digest': {
      const s = m.summary;
      const rules = s.topRules.map((r) => `${r.sop} / ${r.rule}: ${r.count}`).join(w.ruleSeparator) || w.none;
      return {
        title: w.digestTitle(m.storeName, m.shiftLabel),
        facts: [
          [w.store, m.storeName],
          [w.violations, w.violationsValue(s.total, s.bySeverity.high, s.bySeverity.medium, s.bySeverity.low)],
          [w.awaiting, w.awaitingValue(s.unreviewed, s.needsReview)],
          [w.heldBack, String(s.suppressed)],
          [w.mostFrequent, rules],
        ],
        text: s.total === 0 ? w.noViolations : w.openDashboard,
        ...base,
      };
    }
  }
}

/** Plain text: e-mail bodies, Feishu text messages, the `text` field of the plain webhook. */
export function toPlainText(r: RenderedMessage): string {
  const colon = WORDS[r.language ?? 'en'].colon;
  const lines = [r.title, '', ...r.facts.map(([k, v]) => `${k}${colon}${v}`), '', r.text];
  if (r.link !== undefined) lines.push('', r.link);
  return lines.join('\n');
}

/** The common markdown dialect of WeCom, DingTalk and Feishu cards: bold labels, a link at the end. */
export function toMarkdown(r: RenderedMessage, options: { heading?: boolean } = {}): string {
  const lines = options.heading === false ? [] : [`### ${r.title}`];
  const w = WORDS[r.language ?? 'en'];
  lines.push(...r.facts.map(([k, v]) => `**${k}${w.colon.trim()}** ${v}`), '', r.text.replace(/\n/g, '\n\n'));
  if (r.link !== undefined) lines.push('', `[${w.open}](${r.link})`);
  return lines.join('\n');
}
