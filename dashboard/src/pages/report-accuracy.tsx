// The accuracy view of the reports page: per rule and store, precision, misses and recall, share decided, the trend,
// the flag with what usually helps; and what rules in shadow mode would have alerted before anyone makes them live.
import { useEffect, useState } from 'preact/hooks';
import type { AccuracyReport } from '../../../services/api/schemas/accuracy.ts';
import { api, qs } from '../api.ts';
import { locale, t, tOr } from '../i18n/index.ts';
import { percent } from '../lib/format.ts';
import { Empty, ErrorNote, Loading, prettyId } from '../components/ui.tsx';

type Row = AccuracyReport['rules'][number];

const share = (x: number | null): string => (x === null ? '—' : percent(x, locale));

/** Precision per bucket as bars (full height for misses without decisions); a bucket with a miss is red, an empty one a dash. */
function Trend({ row }: { row: Row }) {
  const label = row.trend.map((p) => `${p.start}: ${share(p.precision)}${p.missed > 0 ? `, ${t('accuracy.missedN', { n: p.missed })}` : ''}`).join('; ');
  return (
    <span class="spark" role="img" aria-label={label} title={label}>
      {row.trend.map((p) => (p.precision === null && p.missed === 0
        ? <i key={p.start} class="none" />
        : <i key={p.start} class={p.missed > 0 ? 'miss' : ''} style={{ height: `${p.precision === null ? 100 : Math.max(10, p.precision * 100)}%` }} />))}
    </span>
  );
}

/** `titles`: each rule's title in the viewer's language, keyed `<sop id>/<rule id>` (from the compliance rows). */
export function AccuracySection({ from, to, storeId, multiStore, titles }: { from: string; to: string; storeId: string; multiStore: boolean; titles: ReadonlyMap<string, string> }) {
  const title = (r: { sopId: string; rule: string }): string => titles.get(`${r.sopId}/${r.rule}`) ?? prettyId(r.rule);
  const [data, setData] = useState<AccuracyReport | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    api<AccuracyReport>('GET', `/api/reports/accuracy${qs({ from, to, storeId })}`).then(setData, setError);
  }, [from, to, storeId]);

  const rows = data?.rules ?? [];
  const hasLabels = rows.some((r) => r.decided > 0 || r.missed > 0);
  return (
    <section class="card" aria-labelledby="accuracy" id="accuracy-view">
      <h2 id="accuracy">{t('accuracy.title')}</h2>
      <p class="muted">{t('accuracy.lead')}</p>
      <ErrorNote error={error} />
      {data === undefined && error === undefined && <Loading />}
      {data !== undefined && !hasLabels && (
        <Empty title={t('accuracy.emptyTitle')}><p>{t('accuracy.emptyHow')}</p></Empty>
      )}
      {data !== undefined && rows.length > 0 && (
        <div class="table-scroll">
          <table class="table accuracy-table">
            <thead>
              <tr>
                {multiStore && <th>{t('accuracy.store')}</th>}
                <th>{t('accuracy.rule')}</th>
                <th>{t('accuracy.precision')}</th>
                <th>{t('accuracy.missed')}</th>
                <th>{t('accuracy.recall')}</th>
                <th>{t('accuracy.decided')}</th>
                <th>{t('accuracy.trend', { bucket: t(data.bucket === 'week' ? 'accuracy.byWeek' : 'accuracy.byDay') })}</th>
                <th>{t('accuracy.flag')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.storeId}/${r.sopId}/${r.rule}`} data-rule={r.rule}>
                  {multiStore && <td>{r.storeName}</td>}
                  <td><strong>{title(r)}</strong><br /><span class="muted" data-user-text="">{r.sopId}</span></td>
                  <td>{share(r.precision)}<br /><span class="muted">{t('accuracy.confirmedOf', { confirmed: r.confirmed, decided: r.decided })}</span></td>
                  <td class="accuracy-missed">{r.missed}</td>
                  <td>{share(r.recall)}</td>
                  <td>{share(r.decidedShare)}<br /><span class="muted">{t('accuracy.decidedOf', { decided: r.decided, total: r.violations })}</span></td>
                  <td><Trend row={r} /></td>
                  <td>
                    {r.flags.length === 0 ? <span class="muted">—</span> : (
                      <>
                        {r.flags.map((f) => <span key={f} class="accuracy-flag">{tOr(`accuracy.flag.${f}`, f)} </span>)}
                        <p class="fineprint">{r.flags.map((f) => tOr(`accuracy.hint.${f}`, r.hint ?? '')).join(' ')}</p>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data !== undefined && data.shadow.length > 0 && (
        <>
          <h3>{t('accuracy.shadowTitle')}</h3>
          <p class="muted fineprint">{t('accuracy.shadowLead')}</p>
          <div class="table-scroll">
          <table class="table shadow-table">
            <thead>
              <tr>
                {multiStore && <th>{t('accuracy.store')}</th>}
                <th>{t('accuracy.rule')}</th>
                <th>{t('accuracy.wouldHaveAlerted')}</th>
                <th>{t('accuracy.perDay')}</th>
                <th>{t('accuracy.onLive')}</th>
                <th>{t('accuracy.judged')}</th>
                <th>{t('accuracy.precision')}</th>
              </tr>
            </thead>
            <tbody>
              {data.shadow.map((r) => (
                <tr key={`${r.storeId}/${r.sopId}/${r.rule}`} data-rule={r.rule}>
                  {multiStore && <td>{r.storeName}</td>}
                  <td><strong>{title(r)}</strong><br /><span class="muted" data-user-text="">{r.sopId}</span></td>
                  <td>{r.wouldHaveAlerted}</td>
                  <td>{r.perDay}</td>
                  <td>{r.onLiveCameras}</td>
                  <td>{t('accuracy.judgedOf', { confirmed: r.confirmed, dismissed: r.dismissed })}</td>
                  <td>{share(r.precision)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </>
      )}
    </section>
  );
}
