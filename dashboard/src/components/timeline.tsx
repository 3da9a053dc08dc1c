// A clip's timeline: a lane per rule; violations as coloured spans, cases for review hatched, sequence runs with their steps.
import { t, tOr } from '../i18n/index.ts';
import { clipTime, ticks } from '../lib/format.ts';
import { place, type Timeline } from '../lib/timeline-model.ts';
import { ruleTitle } from './ui.tsx';

export function TimelineView({ timeline, onOpen }: { timeline: Timeline; onOpen?: (id: string) => void }) {
  const d = timeline.durationS;
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
        return (
          <div class="tl-row" key={lane.key}>
            <div class="tl-label">
              <span class="tl-title" title={`${lane.rule.sop} / ${lane.rule.rule}`} data-user-text="">{ruleTitle(lane.rule)}</span>
              <span class="tl-sub">
                {lane.rule.kind !== '' && tOr(`ruleKind.${lane.rule.kind}`, lane.rule.kind)}
                {lane.rule.shadow && <span class="badge shadow">{t('sops.shadow')}</span>}
              </span>
            </div>
            <div class="tl-track">
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
              {empty && lane.runs.length === 0 && <span class="tl-ok">{t('timeline.clear')}</span>}
            </div>
          </div>
        );
      })}
      <div class="tl-legend" aria-hidden="true">
        <span><i class="sw sev-high" />{t('severity.high')}</span>
        <span><i class="sw sev-medium" />{t('severity.medium')}</span>
        <span><i class="sw sev-low" />{t('severity.low')}</span>
        <span><i class="sw review" />{t('review.needsReview')}</span>
      </div>
    </div>
  );
}
