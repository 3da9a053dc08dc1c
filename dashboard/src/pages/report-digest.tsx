// One store's day as the shift digest message tells it: alerts by severity and rule, doubtful ones waiting, messages
// held back, and live camera time nobody watched. The figures come from the notifier's own digest builder.
import { useEffect, useState } from 'preact/hooks';
import type { Static } from '@sinclair/typebox';
import type { DailyDigest } from '../../../services/api/schemas/compliance-score.ts';
import { api, qs } from '../api.ts';
import { locale, t } from '../i18n/index.ts';
import { localDay, shortDay } from '../lib/format.ts';
import { href, navigate, onLink, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorNote, Loading, ruleTitle } from '../components/ui.tsx';
import { duration } from './report-unmonitored.tsx';

type Digest = Static<typeof DailyDigest>;

export function DailyDigestPage() {
  const s = useSession();
  const route = useRoute();
  const stores = s.session.stores;
  const storeId = route.query.get('storeId') ?? (s.session.storeId !== '' ? s.session.storeId : stores[0]?.id ?? '');
  const tz = s.storeTz(storeId) ?? 'UTC';
  const day = route.query.get('day') ?? localDay(new Date().toISOString(), tz);
  const [data, setData] = useState<Digest | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    if (storeId === '') return;
    api<Digest>('GET', `/api/reports/digest${qs({ storeId, day })}`).then(setData, setError);
  }, [storeId, day]);

  const choose = (next: { storeId?: string; day?: string }): void => navigate('/reports/digest', { storeId, day, ...next }, true);
  const sum = data?.summary;
  const unmonitoredS = data?.notMonitored.reduce((a, n) => a + n.seconds, 0) ?? 0;
  const liveCameras = s.session.cameras.filter((c) => c.storeId === storeId && c.host !== null).length;
  const titleOf = (sop: string, rule: string): string => {
    const known = data?.ruleTitles.find((r) => r.sop === sop && r.rule === rule);
    return ruleTitle({ rule, title: known?.title ?? null, titleZh: known?.titleZh ?? null });
  };
  return (
    <main class="page" id="main">
      <header class="page-head split">
        <div><h1>{t('digest.title')}</h1><p class="lead">{t('digest.lead')}</p></div>
        <div class="actions"><a class="button" href="/reports" onClick={onLink}>{t('digest.back')}</a></div>
      </header>
      <form class="range" onSubmit={(e) => e.preventDefault()} aria-label={t('digest.choose')}>
        <label class="field inline">
          <span>{t('header.store')}</span>
          <select value={storeId} onChange={(e) => choose({ storeId: e.currentTarget.value })}>
            {stores.map((st) => <option key={st.id} value={st.id}>{st.name}</option>)}
          </select>
        </label>
        <label class="field inline"><span>{t('report.day')}</span><input type="date" value={day} onChange={(e) => choose({ day: e.currentTarget.value })} /></label>
      </form>
      <ErrorNote error={error} />
      {storeId === '' && <Empty title={t('digest.noStore')} />}
      {data === undefined && error === undefined && storeId !== '' && <Loading />}
      {data !== undefined && sum !== undefined && (
        <>
          <h2 class="digest-head"><span data-user-text="">{data.storeName}</span> · {shortDay(data.day, locale)}</h2>
          <div class="tiles digest-tiles">
            <div class="tile"><span class="tile-n">{sum.total}</span><span class="tile-l">{t('report.total')}</span></div>
            <div class="tile"><span class="tile-n">{sum.bySeverity.high}</span><span class="tile-l">{t('severity.high')}</span></div>
            <div class="tile"><span class="tile-n">{sum.bySeverity.medium}</span><span class="tile-l">{t('severity.medium')}</span></div>
            <div class="tile"><span class="tile-n">{sum.bySeverity.low}</span><span class="tile-l">{t('severity.low')}</span></div>
            <div class={`tile ${sum.unreviewed > 0 ? 'warn' : ''}`}><span class="tile-n">{sum.unreviewed}</span><span class="tile-l">{t('digest.unreviewed')}</span></div>
            <div class="tile"><span class="tile-n">{sum.needsReview}</span><span class="tile-l">{t('digest.needsReview')}</span></div>
            <div class="tile"><span class="tile-n">{sum.suppressed}</span><span class="tile-l">{t('digest.heldBack')}</span></div>
            <div class={`tile ${unmonitoredS > 0 ? 'warn' : ''}`}><span class="tile-n">{duration(unmonitoredS)}</span><span class="tile-l">{t('report.notMonitoredTile')}</span></div>
          </div>
          <section class="card" aria-labelledby="digest-rules">
            <h2 id="digest-rules">{t('digest.rules')}</h2>
            {sum.topRules.length === 0 ? <p class="muted">{t('digest.none')}</p> : (
              <table class="table digest-table">
                <thead><tr><th scope="col">{t('accuracy.rule')}</th><th scope="col">{t('report.total')}</th></tr></thead>
                <tbody>
                  {sum.topRules.map((r) => (
                    <tr key={`${r.sop}/${r.rule}`}><td data-user-text="">{titleOf(r.sop, r.rule)}</td><td>{r.count}</td></tr>
                  ))}
                </tbody>
              </table>
            )}
            {sum.total > 0 && <a class="link" href={href('/alerts', { from: day, to: day, status: 'all' })} onClick={onLink}>{t('digest.openAlerts')}</a>}
          </section>
          <section class="card" aria-labelledby="digest-unmonitored">
            <h2 id="digest-unmonitored">{t('report.notMonitoredTitle')}</h2>
            {data.notMonitored.length === 0 ? <p class="muted">{t(liveCameras === 0 ? 'words.noLiveCameras' : 'digest.allWatched')}</p> : (
              <table class="table">
                <thead><tr><th scope="col">{t('alert.camera')}</th><th scope="col">{t('report.notMonitoredTime')}</th></tr></thead>
                <tbody>
                  {data.notMonitored.map((n) => (
                    <tr key={n.cameraId}>
                      <td>{n.cameraName === null ? <span class="muted">{t('report.deletedCamera')}</span> : <span data-user-text="">{n.cameraName}</span>}</td>
                      <td class="warn">{duration(n.seconds)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <p class="muted fineprint">{t('digest.note')}</p>
        </>
      )}
    </main>
  );
}
