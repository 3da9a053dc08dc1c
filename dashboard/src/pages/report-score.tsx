// The owner's view of the reports page: compliance score per store (ranked), its trend, the worst rules, and a way
// into each store's daily digest. What a "check" is comes from the API (services/eval/compliance-score.ts).
import { useEffect, useState } from 'preact/hooks';
import type { Static } from '@sinclair/typebox';
import type { ComplianceScoreReport } from '../../../services/api/schemas/compliance-score.ts';
import { api, qs } from '../api.ts';
import { locale, t } from '../i18n/index.ts';
import { href, onLink } from '../router.ts';
import { ScoreChart, type ScorePoint } from '../components/charts.tsx';
import { Empty, ErrorNote, Loading, ruleTitle } from '../components/ui.tsx';
import { duration } from './report-unmonitored.tsx';

type Report = Static<typeof ComplianceScoreReport>;

const WORST = 5;

/** 96.8 %: one decimal, since stores often sit in the high nineties. */
export const scoreText = (score: number | null): string =>
  (score === null ? '—' : new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(score));

const pointLabel = (p: ScorePoint): string => `${p.start}: ${p.score === null ? t('owner.nothingChecked') : `${scoreText(p.score)} (${t('owner.checkedN', { n: p.checked })})`}`;

/** A store's score per bucket as a row of small bars; a bucket with nothing checked is a dash, never a full bar. */
function Spark({ points }: { points: ScorePoint[] }) {
  const label = points.map(pointLabel).join('; ');
  return (
    <span class="spark score-spark" role="img" aria-label={label} title={label}>
      {points.map((p) => (p.score === null
        ? <i key={p.start} class="none" />
        : <i key={p.start} class={p.score < 0.8 ? 'miss' : ''} style={{ height: `${Math.max(10, p.score * 100)}%` }} />))}
    </span>
  );
}

export function ScoreSection({ from, to, storeId, multiStore }: { from: string; to: string; storeId: string; multiStore: boolean }) {
  const [data, setData] = useState<Report | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    api<Report>('GET', `/api/reports/score${qs({ from, to, storeId })}`).then(setData, setError);
  }, [from, to, storeId]);

  const checked = data?.stores.reduce((a, s) => a + s.checked, 0) ?? 0;
  const worst = (data?.rules ?? []).filter((r) => r.score !== null && r.score < 1).slice(0, WORST);
  return (
    <section class="card" aria-labelledby="score" id="score-view">
      <h2 id="score">{t('owner.title')}</h2>
      <p class="muted">{t('owner.lead')}</p>
      <ErrorNote error={error} />
      {data === undefined && error === undefined && <Loading />}
      {data !== undefined && checked === 0 && <Empty title={t('owner.emptyTitle')}><p>{t('owner.emptyHow')}</p></Empty>}
      {data !== undefined && checked > 0 && (
        <>
          <h3>{t(multiStore ? 'owner.ranked' : 'owner.store')}</h3>
          <ol class="score-rank">
            {data.stores.map((s) => (
              <li key={s.storeId} data-store-id={s.storeId}>
                <span class="score-pos" aria-label={s.rank === null ? undefined : t('owner.rankAria', { n: s.rank })}>{s.rank ?? '—'}</span>
                <div class="score-store">
                  <strong data-user-text="">{s.storeName}</strong>
                  <span class="muted">
                    {s.checked === 0 ? t('owner.storeNothing') : t('owner.facts', { checked: s.checked, violated: s.violated })}
                    {s.needsReview > 0 && <> · {t('owner.waitingN', { n: s.needsReview })}</>}
                    {s.notMonitoredSeconds > 0 && <> · <span class="warn">{t('owner.notMonitored', { time: duration(s.notMonitoredSeconds) })}</span></>}
                  </span>
                  {s.checked > 0 && <Spark points={s.trend} />}
                  <a class="link" href={href('/reports/digest', { storeId: s.storeId, day: to })} onClick={onLink}>{t('owner.digestLink')}</a>
                </div>
                <span class={`score-value ${s.score === null ? 'none' : s.score < 0.8 ? 'low' : ''}`}>{scoreText(s.score)}</span>
              </li>
            ))}
          </ol>
          <h3>{t('owner.trend', { bucket: t(data.bucket === 'week' ? 'accuracy.byWeek' : 'accuracy.byDay') })}</h3>
          <ScoreChart points={data.trend} label={pointLabel} />
          <h3>{t('owner.worst')}</h3>
          {worst.length === 0 ? <p class="muted">{t('owner.noneBroken')}</p> : (
            <ul class="score-rules">
              {worst.map((r) => (
                <li key={`${r.storeId}/${r.sopId}/${r.rule}`}>
                  <div class="rc-label">
                    <span class="rc-title" data-user-text="">{ruleTitle(r)}</span>
                    {multiStore && <span class="rc-sop" data-user-text="">{r.storeName}</span>}
                  </div>
                  <svg class="rc-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                    <rect x={0} y={0} width={(r.score ?? 0) * 100} height={10} class={`score-bar ${(r.score ?? 0) < 0.8 ? 'low' : ''}`} />
                  </svg>
                  <div class="rc-value">
                    <strong>{scoreText(r.score)}</strong>
                    <span class="rc-share">{t('owner.violatedOf', { violated: r.violated, checked: r.checked })}</span>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <p class="muted fineprint">{t('owner.definition')}</p>
    </section>
  );
}
