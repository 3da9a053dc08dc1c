// Cases the engine could not decide alone (an unsure model, no model reachable): the question asked, the answer, the
// moment, and a person's decision, worked through with the keyboard like the alerts queue (j/k, c, d, m, o).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ReviewItem } from '../../../services/api/schemas/violation.ts';
import { api, qs, seg } from '../api.ts';
import { locale, t } from '../i18n/index.ts';
import { clipTime, dateTime, percent } from '../lib/format.ts';
import { useLive } from '../live.ts';
import { href, navigate, onLink } from '../router.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorNote, Loading, KeyHint, SeverityBadge, ruleTitle, hideBroken, toast } from '../components/ui.tsx';
import { MomentVideo } from '../components/moment-video.tsx';
import { useQueueKeys } from './queue-keys.ts';
import { NextStep } from '../components/next-step.tsx';
import { Message } from '../components/message.tsx';

type Decision = 'violation' | 'no_violation';

function Answer({ a }: { a: ReviewItem['answer'] }) {
  if (a === null) return <span class="muted">{t('review.noAnswer')}</span>;
  // Nobody answered: the reason below already says so, once.
  if (a.decidedBy === 'none') return <span class="muted">{t('words.noModel')}</span>;
  return (
    <>
      <strong>{t(`answer.${a.answer}`)}</strong>
      {a.reason !== '' && <> — <span class="muted">{t('zh14.modelWords')}</span><q data-user-text="">{a.reason}</q></>}
      <details class="alert-codes">
        <summary>{t('words.details')}</summary>
        <span class="muted mono" data-user-text="">{a.decidedBy}</span> · {t('alert.confidence', { value: percent(a.confidence, locale) })}
      </details>
    </>
  );
}

export function ReviewQueue() {
  const s = useSession();
  const [items, setItems] = useState<ReviewItem[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [decisionError, setDecisionError] = useState<unknown>(undefined);
  const commentRef = useRef<HTMLTextAreaElement | null>(null);
  const listRef = useRef<HTMLUListElement | null>(null);

  useEffect(() => {
    setError(undefined);
    api<ReviewItem[]>('GET', `/api/review-items${qs({ status: 'open', storeId: s.session.storeId, limit: 200 })}`).then(setItems, setError);
  }, [s.session.storeId, tick]);

  useEffect(() => {
    setComment('');
    setDecisionError(undefined);
    listRef.current?.querySelector('.selected')?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  // An analysis that finishes may have left new cases.
  useLive((e) => {
    if (e.type === 'clip.progress' && e.data.status === 'done') setTick((n) => n + 1);
  });

  const list = items ?? [];
  const index = list.findIndex((r) => r.id === selectedId);
  const selected = index >= 0 ? list[index] : undefined;

  const decide = (item: ReviewItem | undefined, decision: Decision): void => {
    if (item === undefined || busy) return;
    if (!s.canWrite) {
      toast(t('review.readOnly'), 'warn');
      return;
    }
    setBusy(true);
    setDecisionError(undefined);
    // The comment box belongs to the selected case; a button on another card decides without it.
    const note = item.id === selectedId ? comment.trim() : '';
    const body = { decision, ...(note === '' ? {} : { comment: note }) };
    api('POST', `/api/review-items/${seg(item.id)}/decision`, body).then(() => {
      toast(decision === 'violation' ? t('review.decidedViolation') : t('review.decidedNone'), 'ok');
      const at = list.findIndex((r) => r.id === item.id);
      // Work through the queue: the next case takes the decided one's place.
      setSelectedId((list[at + 1] ?? list[at - 1])?.id);
      setItems((old) => (old ?? []).filter((r) => r.id !== item.id));
    }, setDecisionError).finally(() => setBusy(false));
  };

  useQueueKeys({
    help: false, toggleHelp: () => undefined, dismissing: false, setDismissing: () => undefined, list: listRef.current,
    hasSelection: selected !== undefined,
    move: (step) => {
      const from = index < 0 ? (step > 0 ? -1 : list.length) : index;
      const next = list[Math.min(list.length - 1, Math.max(0, from + step))];
      if (next) setSelectedId(next.id);
    },
    confirm: () => decide(selected, 'violation'),
    startDismiss: () => decide(selected, 'no_violation'),
    dismissWith: () => undefined,
    focusComment: () => {
      commentRef.current?.focus();
      return commentRef.current !== null;
    },
    openClip: () => {
      if (selected === undefined || selected.clipId === null) return false;
      navigate('/clips', { clip: selected.clipId });
      return true;
    },
  });

  return (
    <main class="page" id="main">
      <header class="page-head">
        <h1>{t('nav.review')}</h1>
        <p class="lead">{t('review.lead')}</p>
      </header>
      <ErrorNote error={error} />
      {items === undefined && error === undefined && <Loading />}
      {items !== undefined && items.length === 0 && <Empty title={t('review.empty')}>{t('review.emptyHint')}<NextStep watchingHint={false} /></Empty>}
      {list.length > 0 && <p class="hint keys-hint muted"><KeyHint text={t('review.keyHint')} /></p>}
      <ul class="cards" ref={listRef}>
        {list.map((r) => (
          <li key={r.id} class={`card review-card ${r.id === selectedId ? 'selected' : ''}`} aria-current={r.id === selectedId ? 'true' : undefined}
            onClick={() => setSelectedId(r.id)}>
            <div class="card-head">
              <h2>{ruleTitle(r)}{r.step !== null && <span class="muted"> · {t('alert.step')} {r.step}</span>}</h2>
              <SeverityBadge severity={r.severity} />
            </div>
            {r.question !== null && (
              <div class="qa">
                <p class="q"><span class="qa-label">{t('review.question')}</span> <span data-user-text="">{r.question}</span></p>
                <p class="a"><span class="qa-label">{t('review.answer')}</span> <Answer a={r.answer} /></p>
              </div>
            )}
            {!(r.answer?.decidedBy === 'none' && r.question === null) && <p class="why"><Message parts={r.reasonParts} text={r.reason} /></p>}
            <p class="meta muted">
              {s.cameraName(r.cameraId)} · {s.storeName(r.storeId)}
              {r.start !== null && <> · {clipTime(r.start)}–{clipTime(r.end ?? r.start)}</>}
              {' · '}{dateTime(r.createdAt, locale, s.storeTz(r.storeId))}
            </p>
            {r.clipId !== null && r.id === selectedId && <MomentVideo base={`/api/review-items/${seg(r.id)}/video`} title={ruleTitle(r)} />}
            {r.clipId !== null && (
              <>
                <img class="strip-img" src={`/api/clips/${encodeURIComponent(r.clipId)}/timeline.jpg`} alt={t('alert.clipStripAlt')} loading="lazy" onError={hideBroken} />
                <a href={href('/clips', { clip: r.clipId })} onClick={onLink}>{t('alert.openClip')}</a>
              </>
            )}
            {s.canWrite ? (
              <section class="decision" aria-label={t('alert.decision')}>
                {r.id === selectedId && (
                  <label class="field">
                    <span>{t('alert.comment')} <kbd>m</kbd></span>
                    <textarea ref={commentRef} rows={2} maxLength={2000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} placeholder={t('alert.commentHint')} />
                  </label>
                )}
                <div class="actions">
                  <button type="button" class="danger" disabled={busy} onClick={(e) => { e.stopPropagation(); setSelectedId(r.id); decide(r, 'violation'); }}>
                    {t('review.violation')} {r.id === selectedId && <kbd>c</kbd>}
                  </button>
                  <button type="button" disabled={busy} onClick={(e) => { e.stopPropagation(); setSelectedId(r.id); decide(r, 'no_violation'); }}>
                    {t('review.noViolation')} {r.id === selectedId && <kbd>d</kbd>}
                  </button>
                </div>
                {r.id === selectedId && <ErrorNote error={decisionError} />}
              </section>
            ) : <p class="notice">{t('review.readOnly')}</p>}
          </li>
        ))}
      </ul>
    </main>
  );
}
