// One clip: its analysis as a timeline (a lane per rule), the strip of frames, its alerts, and re-analysis.
import { useEffect, useState } from 'preact/hooks';
import type { Static } from '@sinclair/typebox';
import type { Clip } from '../../../services/api/schemas/clip.ts';
import type { ReviewItem, Violation } from '../../../services/api/schemas/violation.ts';
import type { ClipSummary } from '../../api-schemas.ts';
import { api, qs, seg } from '../api.ts';
import { lang, locale, t } from '../i18n/index.ts';
import { bytes, clipTime, dateTime, percent } from '../lib/format.ts';
import { layoutTimeline } from '../lib/timeline-model.ts';
import { useLive } from '../live.ts';
import { href, navigate, onLink } from '../router.ts';
import { useSession } from '../session.tsx';
import { TimelineView, type TimelineSelection } from '../components/timeline.tsx';
import { ClipLabels, keepAsNotViolation } from '../components/clip-labels.tsx';
import type { ClipLabel } from '../../../services/api/schemas/clip-label.ts';
import { ErrorNote, Loading, ServerText, Progress, SeverityBadge, StatusBadge, ruleTitle, toast, hideBroken } from '../components/ui.tsx';
import { Message } from '../components/message.tsx';

export function ClipDetail({ clipId }: { clipId: string }) {
  const s = useSession();
  const [clip, setClip] = useState<Clip | undefined>(undefined);
  const [summary, setSummary] = useState<ClipSummary | undefined>(undefined);
  const [violations, setViolations] = useState<Violation[]>([]);
  const [reviews, setReviews] = useState<Array<Static<typeof ReviewItem>>>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [version, setVersion] = useState(0);
  const [labels, setLabels] = useState<ClipLabel[]>([]);
  const [selection, setSelection] = useState<TimelineSelection | undefined>(undefined);

  useEffect(() => {
    setError(undefined);
    api<Clip>('GET', `/api/clips/${seg(clipId)}`).then(setClip, setError);
    void api<ClipSummary>('GET', `/api/clips/${seg(clipId)}/summary`).then(setSummary, () => undefined);
    void api<Violation[]>('GET', `/api/violations${qs({ clipId, limit: 500, shadow: 'include' })}`).then(setViolations, () => undefined);
    void api<Array<Static<typeof ReviewItem>>>('GET', `/api/review-items${qs({ clipId, limit: 500, shadow: 'include' })}`).then(setReviews, () => undefined);
    void api<ClipLabel[]>('GET', `/api/clips/${seg(clipId)}/labels`).then(setLabels, () => undefined);
  }, [clipId, version]);

  useLive((e) => {
    if (e.type === 'clip.progress' && e.data.clipId === clipId) {
      setClip((c) => (c === undefined ? c : { ...c, status: e.data.status, progress: e.data.progress }));
      if (e.data.status === 'done' || e.data.status === 'failed') setVersion((n) => n + 1);
    } else if (e.type === 'violation.created' && e.data.clipId === clipId) setVersion((n) => n + 1);
  });

  const reanalyse = (): void => {
    api<{ clip: Clip }>('POST', `/api/clips/${seg(clipId)}/reanalyse`).then((r) => {
      setClip(r.clip);
      toast(t('clip.requeued'), 'ok');
    }, (err: unknown) => setError(err));
  };

  if (clip === undefined) return <main class="page" id="main">{error === undefined ? <Loading /> : <ErrorNote error={error} />}</main>;
  const tz = s.storeTz(clip.storeId);
  const timeline = layoutTimeline({
    durationS: summary?.durationS ?? null,
    rules: summary?.rules ?? [],
    violations: violations.map((v) => ({ sop: v.sop, rule: v.rule, step: v.step, start: v.start ?? 0, end: v.end ?? v.start ?? 0, severity: v.severity, kind: v.kind, id: v.id })),
    reviews: reviews.map((r) => ({ sop: r.sop, rule: r.rule, step: r.step, start: r.start ?? 0, end: r.end ?? r.start ?? 0, id: r.id, label: r.question ?? r.reason })),
  });
  const busy = clip.status === 'accepted' || clip.status === 'analysing';

  return (
    <main class="page" id="main">
      <header class="page-head split">
        <div>
          <a class="back-link" href="/clips" onClick={onLink}>{t('clip.all')}</a>
          <h1 data-user-text="">{clip.filename}</h1>
          <p class="muted">
            {clip.cameraId === null ? '—' : s.cameraName(clip.cameraId)} · {s.storeName(clip.storeId)} · {bytes(clip.bytes, locale)}
            {summary !== undefined && summary.durationS !== null && <> · {clipTime(summary.durationS)}</>} · {dateTime(clip.createdAt, locale, tz)}
          </p>
        </div>
        <div class="head-actions">
          <StatusBadge status={`clip-${clip.status}`} />
          {s.canWrite && <button type="button" onClick={reanalyse} disabled={busy}>{t('clip.reanalyse')}</button>}
        </div>
      </header>
      <ErrorNote error={error} />
      {busy && (
        <section class="card stage">
          <p>{clip.status === 'accepted' ? t('clips.queued') : clip.arrival?.state === 'arriving'
            ? t('clips.analysingArrived', { pct: percent(clip.progress, locale), received: bytes(clip.arrival.receivedBytes, locale), total: bytes(clip.arrival.totalBytes, locale) })
            : t('clips.analysing', { pct: percent(clip.progress, locale) })}</p>
          <Progress value={clip.progress} label={t('clips.analysisProgress')} tone="busy" />
        </section>
      )}
      {clip.status === 'failed' && <div class="error-note" role="alert"><p>{clip.error === null ? t('clips.failed') : <>{lang === 'en' ? null : `${t('clips.failed')} `}<ServerText text={clip.error} /></>}</p></div>}
      {clip.status === 'done' && (
        <>
          <section class="card" aria-labelledby="tl-title">
            <h2 id="tl-title">{t('clip.timeline')}</h2>
            <TimelineView timeline={timeline} onOpen={(id) => navigate('/alerts', { status: 'all', v: id })} marks={labels} selection={selection} {...(s.canWrite ? { onSelect: setSelection } : {})} />
            <ClipLabels clipId={clip.id} rules={summary?.rules ?? []} labels={labels} durationS={summary?.durationS ?? null} selection={selection} canWrite={s.canWrite}
              onSelect={setSelection} onChanged={() => setVersion((n) => n + 1)} />
            <details class="strip-more">
              <summary>{t('clip.strip')}</summary>
              <img class="strip-img" src={`/api/clips/${seg(clip.id)}/timeline.jpg`} alt={t('alert.clipStripAlt')} loading="lazy" onError={hideBroken} />
            </details>
          </section>
          <section aria-labelledby="clip-alerts">
            <h2 id="clip-alerts">{t('clip.alerts', { n: violations.length })}</h2>
            <ul class="rows">
              {violations.map((v) => (
                <li key={v.id}>
                  <a class="row" href={href('/alerts', { status: 'all', v: v.id })} onClick={onLink}>
                    <span class="row-main"><strong data-user-text="">{ruleTitle(v)}</strong><span class="muted">{clipTime(v.start ?? 0)}–{clipTime(v.end ?? 0)} · <Message parts={v.messageParts} text={v.message} /></span></span>
                    <span class="row-side"><SeverityBadge severity={v.severity} /><StatusBadge status={v.status} /></span>
                  </a>
                  {s.canWrite && v.status === 'dismissed' && !labels.some((l) => l.violationId === v.id) && (
                    <button type="button" class="chip" onClick={() => keepAsNotViolation(clip.id, v.id, () => setVersion((n) => n + 1), setError)}>{t('labels.keepNotViolation')}</button>
                  )}
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </main>
  );
}
