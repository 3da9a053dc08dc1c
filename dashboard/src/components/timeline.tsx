// A clip's timeline: a lane per rule; violations as coloured spans, cases for review hatched, sequence runs with their steps;
// labels people put on it (missed here, not a violation) as outlined marks, and a span selected by dragging along a lane.
import { useState } from 'preact/hooks';
import { t, tOr } from '../i18n/index.ts';
import { clipTime, ticks } from '../lib/format.ts';
import { place, type Timeline } from '../lib/timeline-model.ts';
import { ruleTitle } from './ui.tsx';

/** A label on the clip (GET /api/clips/:clipId/labels), drawn on its rule's lane. */
export interface TimelineMark {
  id: string;
  sopId: string;
  rule: string;
  label: 'missed' | 'not_violation';
  start: number;
  end: number;
  note: string | null;
}

/** A span chosen on one lane by dragging. */
export interface TimelineSelection {
  sop: string;
  rule: string;
  start: number;
  end: number;
}

const tenth = (x: number): number => Math.round(x * 10) / 10;

export function TimelineView({ timeline, onOpen, marks: labelMarks = [], selection, onSelect }: {
  timeline: Timeline;
  onOpen?: (id: string) => void;
  marks?: readonly TimelineMark[];
  selection?: TimelineSelection | undefined;
  /** Given: dragging along a lane selects a span of that rule. */
  onSelect?: (s: TimelineSelection) => void;
}) {
  const d = timeline.durationS;
  const [drag, setDrag] = useState<{ key: string; sop: string; rule: string; a: number; b: number } | undefined>(undefined);
  const at = (e: PointerEvent): number => {
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    return tenth(Math.min(1, Math.max(0, (e.clientX - box.left) / Math.max(1, box.width))) * d);
  };
  const marks = ticks(d, 6).filter((m) => m <= d);
  if (timeline.lanes.length === 0) return <p class="muted">{t('timeline.noRules')}</p>;
  return (
    <div class="timeline" role="group" aria-label={t('timeline.label', { length: clipTime(d) })}>
      <div class="tl-row tl-axis" aria-hidden="true">
        <div class="tl-label" />
        <div class="tl-track">
          {marks.map((m) => <span key={m} class="tl-tick" style={{ left: `${(m / d) * 100}%` }}>{clipTime(m).replace(/\.0$/, '')}</span>)}
        </div>
      </div>
      {timeline.lanes.map((lane) => {
        const empty = lane.violations.length === 0 && lane.reviews.length === 0;
        const laneMarks = labelMarks.filter((m) => m.sopId === lane.rule.sop && m.rule === lane.rule.rule);
        const chosen = drag !== undefined && drag.key === lane.key ? { start: Math.min(drag.a, drag.b), end: Math.max(drag.a, drag.b) }
          : drag === undefined && selection !== undefined && selection.sop === lane.rule.sop && selection.rule === lane.rule.rule ? selection : undefined;
        const select = onSelect === undefined ? {} : {
          onPointerDown: (e: PointerEvent) => {
            if ((e.target as HTMLElement).closest('button') !== null || e.button !== 0) return;
            (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
            const x = at(e);
            setDrag({ key: lane.key, sop: lane.rule.sop, rule: lane.rule.rule, a: x, b: x });
          },
          onPointerMove: (e: PointerEvent) => {
            if (drag !== undefined && drag.key === lane.key) setDrag({ ...drag, b: at(e) });
          },
          onPointerUp: (e: PointerEvent) => {
            if (drag === undefined || drag.key !== lane.key) return;
            const b = at(e);
            setDrag(undefined);
            const start = Math.min(drag.a, b);
            // A click without a drag selects a second around the spot.
            const end = Math.max(drag.a, b) > start ? Math.max(drag.a, b) : Math.min(d, tenth(start + 1));
            onSelect({ sop: drag.sop, rule: drag.rule, start, end });
          },
        };
        return (
          <div class="tl-row" key={lane.key}>
            <div class="tl-label">
              <span class="tl-title" title={`${lane.rule.sop} / ${lane.rule.rule}`} data-user-text="">{ruleTitle(lane.rule)}</span>
              <span class="tl-sub">
                {lane.rule.kind !== '' && tOr(`ruleKind.${lane.rule.kind}`, lane.rule.kind)}
                {lane.rule.shadow && <span class="badge shadow">{t('sops.shadow')}</span>}
              </span>
            </div>
            <div class={`tl-track${onSelect === undefined ? '' : ' selectable'}`} data-lane={lane.key} title={onSelect === undefined ? undefined : t('labels.dragHint')} {...select}>
              {marks.map((m) => <span key={m} class="tl-grid" style={{ left: `${(m / d) * 100}%` }} />)}
              {lane.runs.map((r) => {
                const p = place(r.start, r.end, d);
                return (
                  <div key={`run-${r.start}`} class={`tl-run run-${r.outcome}`} style={{ left: `${p.left}%`, width: `${p.width}%` }} title={`${t('timeline.run')} ${clipTime(r.start)}–${clipTime(r.end)}: ${tOr(`runOutcome.${r.outcome}`, r.outcome)}`}>
                    {r.steps.map((s) => (
                      <span key={s.step} class="tl-step" style={{ left: `${r.end > r.start ? ((s.done - r.start) / (r.end - r.start)) * 100 : 0}%` }} title={`${s.step} ${clipTime(s.done)}`}>
                        <span class="tl-step-name">{s.step}</span>
                      </span>
                    ))}
                  </div>
                );
              })}
              {lane.violations.map((v, i) => {
                const p = place(v.start, v.end, d);
                const label = `${tOr(`kind.${v.kind ?? ''}`, v.kind ?? '')}${v.step ? ` · ${v.step}` : ''} ${clipTime(v.start)}–${clipTime(v.end)}`;
                const style = { left: `${p.left}%`, width: `${p.width}%` };
                return onOpen && v.id !== undefined ? (
                  <button key={v.id} type="button" class={`tl-span sev-${v.severity ?? 'medium'}`} style={style} title={label} aria-label={label} onClick={() => onOpen(v.id ?? '')}>
                    <span class="tl-span-text">{tOr(`kind.${v.kind ?? ''}`, v.kind ?? '')}</span>
                  </button>
                ) : (
                  <span key={v.id ?? `v${i}`} class={`tl-span sev-${v.severity ?? 'medium'}`} style={style} title={label}>
                    <span class="tl-span-text">{tOr(`kind.${v.kind ?? ''}`, v.kind ?? '')}</span>
                  </span>
                );
              })}
              {lane.reviews.map((r, i) => {
                const p = place(r.start, r.end, d);
                return <span key={r.id ?? `r${i}`} class="tl-span review" style={{ left: `${p.left}%`, width: `${p.width}%` }} title={`${t('review.needsReview')} ${clipTime(r.start)}–${clipTime(r.end)}${r.label ? `: ${r.label}` : ''}`}><span class="tl-span-text">?</span></span>;
              })}
              {laneMarks.map((m) => {
                const p = place(m.start, m.end, d);
                const label = `${t(m.label === 'missed' ? 'labels.missedMark' : 'labels.notViolationMark')} ${clipTime(m.start)}–${clipTime(m.end)}${m.note === null ? '' : `: ${m.note}`}`;
                return <span key={m.id} class={`tl-mark ${m.label}`} style={{ left: `${p.left}%`, width: `${p.width}%` }} title={label} aria-label={label} role="img" />;
              })}
              {chosen !== undefined && (() => {
                const p = place(chosen.start, chosen.end, d);
                return <span class="tl-select" style={{ left: `${p.left}%`, width: `${p.width}%` }} aria-hidden="true" />;
              })()}
              {empty && laneMarks.length === 0 && chosen === undefined && lane.runs.length === 0 && <span class="tl-ok">{t('timeline.clear')}</span>}
            </div>
          </div>
        );
      })}
      <div class="tl-legend" aria-hidden="true">
        <span><i class="sw sev-high" />{t('severity.high')}</span>
        <span><i class="sw sev-medium" />{t('severity.medium')}</span>
        <span><i class="sw sev-low" />{t('severity.low')}</span>
        <span><i class="sw review" />{t('review.needsReview')}</span>
        {labelMarks.length > 0 && <span><i class="sw tl-mark missed" />{t('labels.missedMark')}</span>}
      </div>
    </div>
  );
}
