// Cases the engine could not decide alone (an unsure model, no model reachable): the question asked, the answer, the moment.
import { useEffect, useState } from 'preact/hooks';
import type { Static } from '@sinclair/typebox';
import type { ReviewItem as ReviewItemSchema } from '../../../services/api/schemas/violation.ts';
import { api, qs } from '../api.ts';
import { locale, t } from '../i18n/index.ts';
import { clipTime, dateTime } from '../lib/format.ts';
import { useLive } from '../live.ts';
import { href, onLink } from '../router.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorNote, Loading, SeverityBadge, prettyId, hideBroken } from '../components/ui.tsx';

/** The model's answer, when the API includes it (the stored row has it; see the dashboard README). */
type ReviewItem = Static<typeof ReviewItemSchema> & { answer?: { answer: string; confidence?: number; reason?: string; decidedBy?: string } | null };

export function ReviewQueue() {
  const s = useSession();
  const [items, setItems] = useState<ReviewItem[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    setError(undefined);
    api<ReviewItem[]>('GET', `/api/review-items${qs({ status: 'open', storeId: s.session.storeId, limit: 200 })}`).then(setItems, setError);
  }, [s.session.storeId, tick]);

  // An analysis that finishes may have left new cases.
  useLive((e) => {
    if (e.type === 'clip.progress' && e.data.status === 'done') setTick((n) => n + 1);
  });

  return (
    <main class="page" id="main">
      <header class="page-head">
        <h1>{t('nav.review')}</h1>
        <p class="lead">{t('review.lead')}</p>
      </header>
      <ErrorNote error={error} />
      {items === undefined && error === undefined && <Loading />}
      {items !== undefined && items.length === 0 && <Empty title={t('review.empty')}>{t('review.emptyHint')}</Empty>}
      <ul class="cards">
        {(items ?? []).map((r) => (
          <li key={r.id} class="card review-card">
            <div class="card-head">
              <h2>{prettyId(r.rule)}{r.step !== null && <span class="muted"> · {t('alert.step')} {r.step}</span>}</h2>
              <SeverityBadge severity={r.severity} />
            </div>
            {r.question !== null && (
              <div class="qa">
                <p class="q"><span class="qa-label">{t('review.question')}</span> {r.question}</p>
                <p class="a">
                  <span class="qa-label">{t('review.answer')}</span>{' '}
                  {r.answer?.answer !== undefined
                    ? <><strong>{t(`answer.${r.answer.answer === 'yes' || r.answer.answer === 'no' ? r.answer.answer : 'unsure'}`)}</strong>{r.answer.reason ? ` — ${r.answer.reason}` : ''}{r.answer.decidedBy ? <span class="muted mono"> ({r.answer.decidedBy})</span> : null}</>
                    : <span class="muted">{t('review.noAnswer')}</span>}
                </p>
              </div>
            )}
            <p class="why">{r.reason}</p>
            <p class="meta muted">
              {s.cameraName(r.cameraId)} · {s.storeName(r.storeId)}
              {r.start !== null && <> · {clipTime(r.start)}–{clipTime(r.end ?? r.start)}</>}
              {' · '}{dateTime(r.createdAt, locale, s.storeTz(r.storeId))}
            </p>
            {r.clipId !== null && (
              <>
                <img class="strip-img" src={`/api/clips/${encodeURIComponent(r.clipId)}/timeline.jpg`} alt={t('alert.clipStripAlt')} loading="lazy" onError={hideBroken} />
                <a href={href('/clips', { clip: r.clipId })} onClick={onLink}>{t('alert.openClip')}</a>
              </>
            )}
          </li>
        ))}
      </ul>
      {items !== undefined && items.length > 0 && <p class="muted fineprint">{t('review.noDecisionRoute')}</p>}
    </main>
  );
}
