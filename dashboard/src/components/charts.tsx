// The report's charts: bars are SVG scaled to the box, labels are HTML so they stay readable on a phone.
import { t } from '../i18n/index.ts';
import { percent, shortDay, ticks } from '../lib/format.ts';
import { locale } from '../i18n/index.ts';
import type { DayBar, RuleBar } from '../lib/report-model.ts';
import { ruleTitle } from './ui.tsx';

const SEGMENTS = ['confirmed', 'open', 'needsReview', 'dismissed'] as const;

export function Legend({ withUnmonitored }: { withUnmonitored?: boolean }) {
  return (
    <div class="legend">
      {SEGMENTS.map((s) => <span key={s}><i class={`sw seg-${s}`} />{t(`report.seg.${s}`)}</span>)}
      {withUnmonitored === true && <span><i class="sw unmonitored" />{t('report.unmonitored')}</span>}
    </div>
  );
}

/** Stacked bars per day; a day without analysed footage is hatched and labelled, never drawn as a zero. */
export function DayChart({ days, compact }: { days: DayBar[]; compact?: boolean }) {
  const max = Math.max(1, ...days.map((d) => d.violations));
  const axis = ticks(max, compact === true ? 2 : 4).filter((v) => v <= max);
  const top = axis[axis.length - 1] ?? max;
  const scale = Math.max(max, top);
  const w = 10;
  const every = Math.ceil(days.length / (compact === true ? 4 : 10));
  return (
    <div class={`daychart ${compact === true ? 'compact' : ''}`}>
      {compact !== true && (
        <div class="y-axis" aria-hidden="true">
          {axis.map((v) => <span key={v} style={{ bottom: `${(v / scale) * 100}%` }}>{v}</span>)}
        </div>
      )}
      <div class="plot">
        <svg viewBox={`0 0 ${days.length * w} 100`} preserveAspectRatio="none" role="img" aria-label={t('report.perDayAria', { days: days.length, total: days.reduce((a, d) => a + d.violations, 0) })}>
          {axis.map((v) => <line key={v} x1="0" x2={days.length * w} y1={100 - (v / scale) * 100} y2={100 - (v / scale) * 100} class="gridline" vector-effect="non-scaling-stroke" />)}
          {days.map((d, i) => {
            if (!d.monitored) return null;
            let y = 100;
            return (
              <g key={d.day}>
                <title>{`${d.day}: ${d.violations} (${SEGMENTS.map((s) => `${t(`report.seg.${s}`)} ${d[s]}`).join(', ')})`}</title>
                {SEGMENTS.map((s) => {
                  const h = (d[s] / scale) * 100;
                  y -= h;
                  return h > 0 ? <rect key={s} x={i * w + 1} y={y} width={w - 2} height={h} class={`seg-${s}`} /> : null;
                })}
                {d.violations === 0 && <rect x={i * w + 1} y={99} width={w - 2} height={1} class="zero-bar" />}
              </g>
            );
          })}
        </svg>
        {days.map((d, i) => (d.monitored ? null : (
          <div key={d.day} class="unmonitored-bar" style={{ left: `${(i / days.length) * 100}%`, width: `${100 / days.length}%` }} title={`${d.day}: ${t('report.unmonitored')}`}>
            {compact !== true && <span>{t('report.unmonitoredShort')}</span>}
          </div>
        )))}
        <div class="x-labels" aria-hidden="true">
          {/* Every other label is dropped on a phone (x-odd) so that dates never run into each other. */}
          {days.map((d, i) => (i % every === 0
            ? <span key={d.day} class={(i / every) % 2 === 1 ? 'x-odd' : undefined} style={{ left: `${((i + 0.5) / days.length) * 100}%` }}>{shortDay(d.day, locale)}</span>
            : null))}
        </div>
      </div>
    </div>
  );
}

/** One bar per rule: how many violations, and what share people dismissed (a rule that cries wolf shows here). */
export function RuleChart({ rules }: { rules: RuleBar[] }) {
  const max = Math.max(1, ...rules.map((r) => r.violations));
  return (
    <ul class="rulechart">
      {rules.map((r) => (
        <li key={`${r.sopId}/${r.rule}`}>
          <div class="rc-label"><span class="rc-title">{ruleTitle(r)}</span><span class="rc-sop" data-user-text="">{r.sopId}</span></div>
          <svg class="rc-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={t('report.ruleAria', { rule: ruleTitle(r), total: r.violations, dismissed: r.dismissed })}>
            {(() => {
              let x = 0;
              return SEGMENTS.map((s) => {
                const wdt = (r[s] / max) * 100;
                x += wdt;
                return wdt > 0 ? <rect key={s} x={x - wdt} y={0} width={wdt} height={10} class={`seg-${s}`} /> : null;
              });
            })()}
          </svg>
          <div class="rc-value">
            <strong>{r.violations}</strong>
            <span class={`rc-share ${r.dismissedShare !== null && r.dismissedShare >= 0.5 ? 'warn' : ''}`}>
              {r.dismissedShare === null ? '—' : t('report.dismissedShare', { share: percent(r.dismissedShare, locale) })}
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

export interface ScorePoint {
  start: string;
  score: number | null;
  checked: number;
}

/** The compliance score per day or week as bars on a 0-100 % axis; a bucket with nothing checked is hatched, never 100 %. */
export function ScoreChart({ points, label }: { points: ScorePoint[]; label: (p: ScorePoint) => string }) {
  const w = 10;
  const every = Math.ceil(points.length / 10);
  return (
    <div class="daychart scorechart">
      <div class="y-axis" aria-hidden="true">
        {[0, 50, 100].map((v) => <span key={v} style={{ bottom: `${v}%` }}>{percent(v / 100, locale)}</span>)}
      </div>
      <div class="plot">
        <svg viewBox={`0 0 ${points.length * w} 100`} preserveAspectRatio="none" role="img" aria-label={points.map(label).join('; ')}>
          {[50, 100].map((v) => <line key={v} x1="0" x2={points.length * w} y1={100 - v} y2={100 - v} class="gridline" vector-effect="non-scaling-stroke" />)}
          {points.map((p, i) => (p.score === null ? null : (
            <rect key={p.start} x={i * w + 1} y={100 - Math.max(1, p.score * 100)} width={w - 2} height={Math.max(1, p.score * 100)} class={`score-bar ${p.score < 0.8 ? 'low' : ''}`}>
              <title>{label(p)}</title>
            </rect>
          )))}
        </svg>
        {points.map((p, i) => (p.score !== null ? null : (
          <div key={p.start} class="unmonitored-bar" style={{ left: `${(i / points.length) * 100}%`, width: `${100 / points.length}%` }} title={label(p)}>
            <span>{t('report.unmonitoredShort')}</span>
          </div>
        )))}
        <div class="x-labels" aria-hidden="true">
          {points.map((p, i) => (i % every === 0
            ? <span key={p.start} class={(i / every) % 2 === 1 ? 'x-odd' : undefined} style={{ left: `${((i + 0.5) / points.length) * 100}%` }}>{shortDay(p.start, locale)}</span>
            : null))}
        </div>
      </div>
    </div>
  );
}
