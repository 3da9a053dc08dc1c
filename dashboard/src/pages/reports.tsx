// Reports: alerts per day, rule and store, the share people dismissed, stores side by side, and days nobody watched.
import { useEffect, useState } from 'preact/hooks';
import type { Clip } from '../../../services/api/schemas/clip.ts';
import { api, qs } from '../api.ts';
import { locale, t } from '../i18n/index.ts';
import { daysBetween, localDay, percent } from '../lib/format.ts';
import { byDay, byRule, byStore, type ComplianceRow } from '../lib/report-model.ts';
import { href, navigate, onLink, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { DayChart, Legend, RuleChart } from '../components/charts.tsx';
import { Empty, ErrorNote, Loading, ruleTitle } from '../components/ui.tsx';
import { UnmonitoredTable, duration, type NotMonitored } from './report-unmonitored.tsx';
import { AccuracySection } from './report-accuracy.tsx';
import { ScoreSection } from './report-score.tsx';
import { NextStep } from '../components/next-step.tsx';

const DAY_MS = 86_400_000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

interface Data {
  from: string;
  to: string;
  rows: ComplianceRow[];
  notMonitored: NotMonitored[];
  monitored: Set<string>;
}

export function Reports() {
  const s = useSession();
  const route = useRoute();
  const today = localDay(new Date().toISOString(), s.scope[0]?.tz ?? 'UTC');
  const to = route.query.get('to') ?? today;
  const from = route.query.get('from') ?? isoDay(Date.parse(`${to}T00:00:00Z`) - 6 * DAY_MS);
  const [data, setData] = useState<Data | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    const storeId = s.session.storeId;
    void (async () => {
      const report = await api<{ from: string; to: string; rows: ComplianceRow[]; notMonitored?: NotMonitored[] }>('GET', `/api/reports/compliance${qs({ from, to, storeId })}`);
      // A day counts as watched when footage of it was analysed: analysed clips by the store's local day.
      const monitored = new Set<string>();
      for (const st of s.scope) {
        const clips = await api<Clip[]>('GET', `/api/clips${qs({ storeId: st.id, status: 'done', limit: 500 })}`);
        for (const c of clips) monitored.add(`${st.id}|${localDay(c.createdAt, st.tz)}`);
      }
      setData({ ...report, notMonitored: report.notMonitored ?? [], monitored });
    })().catch(setError);
  }, [from, to, s.session.storeId]);

  const setRange = (f: string, tt: string): void => navigate('/reports', { from: f, to: tt }, true);
  const preset = (days: number): void => setRange(isoDay(Date.parse(`${today}T00:00:00Z`) - (days - 1) * DAY_MS), today);
  const csv = `/api/reports/compliance.csv${qs({ from, to, storeId: s.session.storeId })}`;
  const alertsCsv = `/api/reports/alerts.csv${qs({ from, to, storeId: s.session.storeId })}`;
  const scopeIds = new Set(s.scope.map((st) => st.id));
  const liveCameras = s.session.cameras.filter((c) => scopeIds.has(c.storeId) && c.host !== null).length;

  const days = data === undefined ? [] : daysBetween(data.from, data.to);
  const storeIds = s.scope.map((st) => st.id);
  const perDay = data === undefined ? [] : byDay(data.rows, days, data.monitored, storeIds);
  const perRule = data === undefined ? [] : byRule(data.rows);
  const titles = new Map((data?.rows ?? []).map((r) => [`${r.sopId}/${r.rule}`, ruleTitle({ rule: r.rule, title: r.ruleTitle, titleZh: r.ruleTitleZh })]));
  const perStore = data === undefined ? [] : byStore(data.rows, s.scope, days, data.monitored);
  const total = perDay.reduce((a, d) => a + d.violations, 0);
  const dismissed = perDay.reduce((a, d) => a + d.dismissed, 0);
  const confirmed = perDay.reduce((a, d) => a + d.confirmed, 0);
  const waiting = perDay.reduce((a, d) => a + d.open + d.needsReview, 0);
  const unwatched = perStore.reduce((a, st) => a + (days.length - st.monitoredDays), 0);
  const unmonitoredS = data === undefined ? 0 : data.notMonitored.reduce((a, r) => a + r.seconds, 0);

  return (
    <main class="page" id="main">
      <header class="page-head split">
        <div><h1>{t('nav.reports')}</h1><p class="lead">{t('report.lead')}</p></div>
        <div class="actions">
          <a class="button" href={csv} download>{t('report.csv')}</a>
          <a class="button" href={alertsCsv} download>{t('words.alertsCsv')}</a>
          <a class="button" href={href('/reports/digest', { storeId: s.session.storeId, day: to })} onClick={onLink}>{t('owner.digestButton')}</a>
        </div>
      </header>
      <form class="range" onSubmit={(e) => e.preventDefault()} aria-label={t('report.range')}>
        <label class="field inline"><span>{t('report.from')}</span><input type="date" value={from} max={to} onChange={(e) => setRange(e.currentTarget.value, to)} /></label>
        <label class="field inline"><span>{t('report.to')}</span><input type="date" value={to} min={from} onChange={(e) => setRange(from, e.currentTarget.value)} /></label>
        <button type="button" class="chip" onClick={() => preset(7)}>{t('report.last7')}</button>
        <button type="button" class="chip" onClick={() => preset(30)}>{t('report.last30')}</button>
      </form>
      <ErrorNote error={error} />
      {data === undefined && error === undefined && <Loading />}
      {data !== undefined && (
        <>
          <ScoreSection from={data.from} to={data.to} storeId={s.session.storeId} multiStore={s.scope.length > 1} />
          <div class="tiles">
            <div class="tile"><span class="tile-n">{total}</span><span class="tile-l">{t('report.total')}</span></div>
            <div class="tile"><span class="tile-n">{confirmed}</span><span class="tile-l">{t('report.confirmed')}</span></div>
            <div class="tile"><span class="tile-n">{dismissed}</span><span class="tile-l">{t('report.dismissedTile', { share: total === 0 ? '—' : percent(dismissed / total, locale) })}</span></div>
            <div class="tile"><span class="tile-n">{waiting}</span><span class="tile-l">{t('report.waiting')}</span></div>
            <div class={`tile ${unwatched > 0 ? 'warn' : ''}`}><span class="tile-n">{unwatched}</span><span class="tile-l">{t('report.unwatchedDays')}</span></div>
            <div class={`tile ${unmonitoredS > 0 ? 'warn' : ''}`}><span class="tile-n">{duration(unmonitoredS)}</span><span class="tile-l">{t('report.notMonitoredTile')}</span></div>
          </div>
          <section class="card" aria-labelledby="per-day">
            <h2 id="per-day">{t('report.perDay')}</h2>
            <DayChart days={perDay} />
            <Legend withUnmonitored />
          </section>
          <section class="card" aria-labelledby="per-rule">
            <h2 id="per-rule">{t('report.perRule')}</h2>
            {perRule.length === 0 ? <Empty title={t('report.noAlerts')}><NextStep watchingHint={false} /></Empty> : <RuleChart rules={perRule} />}
            <p class="muted fineprint">{t('report.dismissedNote')}</p>
          </section>
          {perStore.length > 1 && (
            <section class="card" aria-labelledby="per-store">
              <h2 id="per-store">{t('report.perStore')}</h2>
              <div class="store-grid">
                {perStore.map((st) => (
                  <div key={st.storeId} class="store-col">
                    <h3>{st.storeName}</h3>
                    <dl class="store-facts">
                      <div><dt>{t('report.total')}</dt><dd>{st.violations}</dd></div>
                      <div><dt>{t('report.high')}</dt><dd>{st.high}</dd></div>
                      <div><dt>{t('report.dismissedShort')}</dt><dd>{st.dismissedShare === null ? '—' : percent(st.dismissedShare, locale)}</dd></div>
                      <div><dt>{t('report.watchedDays')}</dt><dd class={st.monitoredDays < days.length ? 'warn' : ''}>{st.monitoredDays}/{days.length}</dd></div>
                    </dl>
                    <DayChart days={st.days} compact />
                  </div>
                ))}
              </div>
            </section>
          )}
          <AccuracySection from={data.from} to={data.to} storeId={s.session.storeId} multiStore={s.scope.length > 1} titles={titles} />
          <UnmonitoredTable rows={data.notMonitored} multiStore={s.scope.length > 1} liveCameras={liveCameras} />
          <p class="muted fineprint">{t('report.monitoredNote')}</p>
        </>
      )}
    </main>
  );
}
