// One alert: its evidence (faces already blurred by the server), what rule and step, when, where, who decided, and the decision.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Clip } from '../../../services/api/schemas/clip.ts';
import type { Review } from '../../../services/api/schemas/review.ts';
import type { Violation } from '../../../services/api/schemas/violation.ts';
import type { ClipSummary } from '../../api-schemas.ts';
import { api, seg } from '../api.ts';
import { locale, t, tOr } from '../i18n/index.ts';
import { decider } from '../lib/decided.ts';
import { clipTime, dateTime, percent } from '../lib/format.ts';
import { href, onLink } from '../router.ts';
import { useSession } from '../session.tsx';
import { ErrorNote, SeverityBadge, StatusBadge, ruleTitle, hideBroken } from '../components/ui.tsx';
import { MomentVideo } from '../components/moment-video.tsx';
import { Message } from '../components/message.tsx';

export const REASONS = ['false_alarm', 'not_applicable', 'camera_problem', 'other'] as const;
export type Reason = (typeof REASONS)[number];

export interface DecisionUi {
  dismissing: boolean;
  setDismissing(open: boolean): void;
  comment: string;
  setComment(text: string): void;
  busy: boolean;
  error: unknown;
  decide(decision: 'confirmed' | 'dismissed', reason?: Reason): void;
  commentRef: { current: HTMLTextAreaElement | null };
}

function DecidedBy({ value }: { value: string }) {
  const d = decider(value);
  switch (d.kind) {
    case 'detector': return <span>{t('decided.detector')}</span>;
    case 'model': return <span>{t('decided.model')} <span class="mono">{d.provider}{d.model === '' ? '' : `/${d.model}`}</span></span>;
    case 'person': return <span>{t('decided.person')}</span>;
    case 'other': return <span class="mono">{d.text}</span>;
  }
}

/** "2 people" (or "3 subjects" when not all are persons): who took part in the episode. */
export function subjectsWord(v: Violation): string | undefined {
  const subjects = v.subjects;
  if (subjects === null || subjects === undefined) return undefined;
  const people = subjects.tracks.every((tr) => tr.id.startsWith('p:'));
  return t(people ? 'alertSubjects.people' : 'alertSubjects.subjects', { n: subjects.count });
}

/**
 * The episode's subjects outlined on one evidence keyframe. Boxes are normalised to the keyframe image, caption band
 * included; `shown` is the share of the image's height on screen (the band cut off: less than 1).
 */
function SubjectBoxes({ v, evidence, shown }: { v: Violation; evidence: string; shown: number }) {
  const frame = v.subjects?.keyframes.find((k) => k.evidence === evidence);
  if (frame === undefined || frame.boxes.length === 0) return null;
  return (
    <svg class="subject-boxes" viewBox="0 0 100 100" preserveAspectRatio="none" role="img" aria-label={t('alertSubjects.boxes', { n: frame.boxes.length })}>
      {frame.boxes.map((b) => (
        <rect key={b.id} data-subject={b.id} x={(b.box[0] ?? 0) * 100} y={((b.box[1] ?? 0) / shown) * 100} width={(b.box[2] ?? 0) * 100} height={((b.box[3] ?? 0) / shown) * 100} vector-effect="non-scaling-stroke" />
      ))}
    </svg>
  );
}

/**
 * The keyframe without the caption band the server writes below the camera's picture (in English, for exports): this
 * page says the same beside it in the reader's language. Cut only when the picture's aspect ratio is known.
 */
function useCaptionCut(aspect: number | undefined): { shown: number; onLoad: (e: Event) => void; style: Record<string, string> | undefined } {
  const [natural, setNatural] = useState<{ w: number; h: number } | undefined>(undefined);
  const onLoad = (e: Event): void => {
    const img = e.currentTarget as HTMLImageElement;
    setNatural({ w: img.naturalWidth, h: img.naturalHeight });
  };
  if (aspect === undefined || natural === undefined || natural.h === 0) return { shown: 1, onLoad, style: undefined };
  const frameH = natural.w / aspect;
  const shown = Math.min(1, frameH / natural.h);
  // Less than a pixel row of band: nothing to cut.
  if (natural.h - frameH < 1) return { shown: 1, onLoad, style: undefined };
  return { shown, onLoad, style: { aspectRatio: `${natural.w} / ${Math.round(frameH)}` } };
}

/** The evidence frames (their names come from the violation) and the strip of the whole clip. */
function AlertMedia({ v, title, aspect }: { v: Violation; title: string; aspect: number | undefined }) {
  const [shown, setShown] = useState(0);
  useEffect(() => setShown(0), [v.id]);
  const cut = useCaptionCut(aspect);
  const evidence = v.evidence[Math.min(shown, v.evidence.length - 1)];
  return (
    <div class="alert-media">
      <MomentVideo base={`/api/violations/${seg(v.id)}/video`} title={title} />
      {evidence !== undefined ? (
        <figure class="evidence">
          <div class={`evidence-frame${cut.style === undefined ? '' : ' cut'}`} style={cut.style}>
            <img src={`/api/violations/${seg(v.id)}/evidence/${encodeURIComponent(evidence)}`} alt={t('alert.evidenceAlt', { rule: title, n: shown + 1, total: v.evidence.length })} onLoad={cut.onLoad} />
            <SubjectBoxes v={v} evidence={evidence} shown={cut.shown} />
          </div>
          {v.evidence.length > 1 && (
            <div class="frames" role="group" aria-label={t('alert.frames')}>
              {v.evidence.map((name, i) => (
                <button key={name} type="button" class={i === shown ? 'on' : ''} aria-pressed={i === shown} onClick={() => setShown(i)}>{t('alert.frame', { n: i + 1 })}</button>
              ))}
            </div>
          )}
          <figcaption class="muted">{t('alert.blurred')}</figcaption>
        </figure>
      ) : (
        <p class="muted evidence-none">{t('alert.noEvidence')}</p>
      )}
      {v.clipId !== null && (
        <section class="strip" aria-label={t('alert.clipStrip')}>
          <img src={`/api/clips/${seg(v.clipId)}/timeline.jpg`} alt={t('alert.clipStripAlt')} loading="lazy" onError={hideBroken} />
          <a href={href('/clips', { clip: v.clipId })} onClick={onLink}>{t('alert.openClip')}</a>
        </section>
      )}
    </div>
  );
}

export function AlertDetail({ v, ui, onBack }: { v: Violation; ui: DecisionUi; onBack: () => void }) {
  const s = useSession();
  const [reviews, setReviews] = useState<Review[]>([]);
  const [clip, setClip] = useState<Clip | undefined>(undefined);
  const [summary, setSummary] = useState<ClipSummary | undefined>(undefined);
  const [reason, setReason] = useState<Reason>('false_alarm');
  const firstReason = useRef<HTMLInputElement | null>(null);

  useEffect(() => {
    setReviews([]);
    setClip(undefined);
    setSummary(undefined);
    void api<Review[]>('GET', `/api/violations/${seg(v.id)}/reviews`).then(setReviews, () => undefined);
    if (v.clipId !== null) {
      void api<Clip>('GET', `/api/clips/${seg(v.clipId)}`).then(setClip, () => undefined);
      void api<ClipSummary>('GET', `/api/clips/${seg(v.clipId)}/summary`).then(setSummary, () => undefined);
    }
  }, [v.id, v.status]);

  useEffect(() => {
    if (ui.dismissing) firstReason.current?.focus();
  }, [ui.dismissing]);

  const lane = summary?.rules.find((r) => r.sop === v.sop && r.rule === v.rule);
  const title = lane === undefined ? ruleTitle(v) : ruleTitle({ rule: lane.rule, title: lane.title, titleZh: lane.titleZh });
  const tz = s.storeTz(v.storeId);
  const actionable = s.canWrite;
  const when = v.start !== null
    ? t('alert.inClip', { from: clipTime(v.start), to: clipTime(v.end ?? v.start), file: clip?.filename ?? '…' })
    : v.startAt !== null ? `${dateTime(v.startAt, locale, tz)}${v.endAt !== null ? ` – ${dateTime(v.endAt, locale, tz)}` : ''}` : '—';

  return (
    <article class="alert-detail" aria-labelledby="alert-title">
      <header class="detail-head">
        <button type="button" class="back" onClick={onBack}>{t('common.back')}</button>
        <div>
          <h2 id="alert-title"><span data-user-text="">{title}</span></h2>
          <p class="badges">
            <SeverityBadge severity={v.severity} />
            <StatusBadge status={v.status} />
            <span class="badge kind">{tOr(`kind.${v.kind}`, v.kind)}</span>
            {lane?.shadow === true && <span class="badge shadow">{t('sops.shadow')}</span>}
          </p>
        </div>
      </header>

      <div class="alert-body">
        <AlertMedia v={v} title={title} aspect={summary?.width && summary.height ? summary.width / summary.height : undefined} />
        <div class="alert-side">
          <p class="message"><Message parts={v.messageParts} text={v.message} /></p>

          <dl class="facts">
            <div><dt>{t('alert.when')}</dt><dd>{when}{clip !== undefined && <span class="muted"> · {t('alert.uploaded', { at: dateTime(clip.createdAt, locale, tz) })}</span>}</dd></div>
            {subjectsWord(v) !== undefined && (
              <div class="subjects"><dt>{t('alertSubjects.who')}</dt><dd>{subjectsWord(v)}
                <span class="muted"> · {v.subjects?.tracks.map((tr) => t('alertSubjects.track', { id: tr.id, from: tr.inS.toFixed(1), to: tr.outS.toFixed(1) })).join(', ')}</span>
              </dd></div>
            )}
            <div><dt>{t('alert.camera')}</dt><dd>{s.cameraName(v.cameraId)}</dd></div>
            <div><dt>{t('alert.store')}</dt><dd>{s.storeName(v.storeId)}</dd></div>
            <div><dt>{t('alert.decidedBy')}</dt><dd><DecidedBy value={v.decidedBy} /></dd></div>
          </dl>
          <details class="alert-codes">
            <summary>{t('words.details')}</summary>
            <dl class="code-facts">
              <div><dt>{t('alert.sop')}</dt><dd><span class="mono" data-user-text="">{v.sop}</span>{v.sopVersion !== null && ` ${t('zh14.version', { version: v.sopVersion })}`}</dd></div>
              <div><dt>{t('words.rule')}</dt><dd><span class="mono" data-user-text="">{v.rule}{v.step !== null ? ` / ${v.step}` : ''}</span></dd></div>
              <div><dt>{t('words.code')}</dt><dd><span class="mono" data-user-text="">{v.kind}</span></dd></div>
              <div><dt>{t('alert.decidedBy')}</dt><dd><span class="mono" data-user-text="">{v.decidedBy}</span> · {t('alert.confidence', { value: percent(v.confidence, locale) })}</dd></div>
            </dl>
          </details>

          <section class="decision" aria-label={t('alert.decision')}>
            {!actionable ? (
              <p class="notice">{t('alert.readOnly')}</p>
            ) : (
              <>
                <label class="field">
                  <span>{t('alert.comment')} <kbd>m</kbd></span>
                  <textarea ref={ui.commentRef} rows={2} maxLength={2000} value={ui.comment} onInput={(e) => ui.setComment(e.currentTarget.value)} placeholder={t('alert.commentHint')} />
                </label>
                {!ui.dismissing ? (
                  <div class="actions">
                    <button type="button" class="primary" disabled={ui.busy} onClick={() => ui.decide('confirmed')}>{t('alert.confirm')} <kbd>c</kbd></button>
                    <button type="button" disabled={ui.busy} onClick={() => ui.setDismissing(true)}>{t('alert.dismiss')} <kbd>d</kbd></button>
                  </div>
                ) : (
                  <form class="dismiss" onSubmit={(e) => { e.preventDefault(); ui.decide('dismissed', reason); }}>
                    <fieldset>
                      <legend>{t('alert.reasonLegend')}</legend>
                      {REASONS.map((r, i) => (
                        <label key={r} class="radio">
                          <input ref={i === 0 ? firstReason : undefined} type="radio" name="reason" value={r} checked={reason === r} onChange={() => setReason(r)} />
                          <span>{t(`reason.${r}`)}</span> <kbd>{i + 1}</kbd>
                        </label>
                      ))}
                    </fieldset>
                    <div class="actions">
                      <button type="submit" class="danger" disabled={ui.busy}>{t('alert.dismissSubmit')}</button>
                      <button type="button" onClick={() => ui.setDismissing(false)}>{t('common.cancel')}</button>
                    </div>
                  </form>
                )}
                <ErrorNote error={ui.error} />
              </>
            )}
          </section>

          {reviews.length > 0 && (
            <section class="history">
              <h3>{t('alert.history')}</h3>
              <ol>
                {reviews.map((r) => (
                  <li key={r.id} class={r.undoneAt !== null ? 'undone' : undefined}>
                    <StatusBadge status={r.decision} /> {r.userEmail ?? t('alert.someone')}
                    {r.undoneAt !== null && <span class="muted"> · {t('alert.undone')}</span>}
                    {r.reasonCode !== null && <> · {tOr(`reason.${r.reasonCode}`, r.reasonCode)}</>}
                    <span class="muted"> · {dateTime(r.at, locale, tz)}</span>
                    {r.comment !== null && r.comment !== '' && <blockquote>{r.comment}</blockquote>}
                  </li>
                ))}
              </ol>
            </section>
          )}
        </div>
      </div>
    </article>
  );
}
