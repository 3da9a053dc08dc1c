// Labels on a clip: mark "missed here" for a span and a rule (chosen by dragging on the timeline, or typed), list the
// clip's labels and remove them; turn a dismissed alert's reason into a "not a violation" label.
import { useEffect, useState } from 'preact/hooks';
import type { ClipLabel } from '../../../services/api/schemas/clip-label.ts';
import type { RuleLane } from '../../api-schemas.ts';
import { api, seg } from '../api.ts';
import { t } from '../i18n/index.ts';
import { clipTime } from '../lib/format.ts';
import type { TimelineSelection } from './timeline.tsx';
import { ErrorNote, prettyId, ruleTitle, toast } from './ui.tsx';

const laneKey = (sop: string, rule: string): string => `${sop}/${rule}`;

export function ClipLabels({ clipId, rules, labels, durationS, selection, canWrite, onSelect, onChanged }: {
  clipId: string;
  rules: readonly RuleLane[];
  labels: readonly ClipLabel[];
  durationS: number | null;
  selection: TimelineSelection | undefined;
  canWrite: boolean;
  onSelect: (s: TimelineSelection | undefined) => void;
  onChanged: () => void;
}) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const first = rules[0];
  const sel = selection ?? (first === undefined ? undefined : { sop: first.sop, rule: first.rule, start: 0, end: 0 });
  useEffect(() => setError(undefined), [selection]);
  const title = (sop: string, rule: string): string => {
    const r = rules.find((x) => x.sop === sop && x.rule === rule);
    return r === undefined ? prettyId(rule) : ruleTitle(r);
  };

  const submit = (e: Event): void => {
    e.preventDefault();
    if (sel === undefined) return;
    setBusy(true);
    setError(undefined);
    api<ClipLabel>('POST', `/api/clips/${seg(clipId)}/labels`, { sopId: sel.sop, rule: sel.rule, start: sel.start, end: sel.end, ...(note.trim() === '' ? {} : { note: note.trim() }) })
      .then(() => {
        toast(t('labels.marked'), 'ok');
        setNote('');
        onSelect(undefined);
        onChanged();
      }, setError)
      .finally(() => setBusy(false));
  };
  const remove = (l: ClipLabel): void => {
    api('DELETE', `/api/clips/${seg(clipId)}/labels/${seg(l.id)}`).then(() => {
      toast(t('labels.removed'), 'ok');
      onChanged();
    }, setError);
  };
  const num = (v: string): number => Math.max(0, Math.round(Number(v) * 10) / 10 || 0);

  return (
    <div class="clip-labels">
      <h3>{t('labels.title')}</h3>
      <p class="muted fineprint">{t('labels.lead')}</p>
      {canWrite && sel !== undefined && (
        <form class="label-form" onSubmit={submit} aria-label={t('labels.formLabel')}>
          <label class="field inline"><span>{t('labels.rule')}</span>
            <select value={laneKey(sel.sop, sel.rule)} onChange={(e) => {
              const r = rules.find((x) => laneKey(x.sop, x.rule) === e.currentTarget.value);
              if (r) onSelect({ ...sel, sop: r.sop, rule: r.rule });
            }}>
              {rules.map((r) => <option key={laneKey(r.sop, r.rule)} value={laneKey(r.sop, r.rule)}>{ruleTitle(r)}</option>)}
            </select>
          </label>
          <label class="field inline"><span>{t('labels.start')}</span>
            <input type="number" min={0} step={0.1} max={durationS ?? undefined} value={sel.start} onInput={(e) => onSelect({ ...sel, start: num(e.currentTarget.value) })} />
          </label>
          <label class="field inline"><span>{t('labels.end')}</span>
            <input type="number" min={0} step={0.1} max={durationS ?? undefined} value={sel.end} onInput={(e) => onSelect({ ...sel, end: num(e.currentTarget.value) })} />
          </label>
          <label class="field inline"><span>{t('labels.note')}</span>
            <input type="text" maxLength={500} value={note} placeholder={t('labels.notePlaceholder')} onInput={(e) => setNote(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy || !(sel.end > sel.start)}>{t('labels.markMissed')}</button>
        </form>
      )}
      <ErrorNote error={error} />
      {labels.length === 0 ? <p class="muted">{t('labels.none')}</p> : (
        <ul class="label-list" aria-label={t('labels.listLabel')}>
          {labels.map((l) => (
            <li key={l.id} class={`label-item ${l.label}`}>
              <span>
                <strong>{t(l.label === 'missed' ? 'labels.missedMark' : 'labels.notViolationMark')}</strong> · {title(l.sopId, l.rule)} · {clipTime(l.start)}–{clipTime(l.end)}
                {l.note !== null && <span class="muted"> · {l.note}</span>}
                {l.createdByEmail !== null && <span class="muted"> · {l.createdByEmail}</span>}
              </span>
              {l.canDelete && <button type="button" class="chip" onClick={() => remove(l)} aria-label={t('labels.removeAria', { rule: title(l.sopId, l.rule), start: clipTime(l.start) })}>{t('labels.remove')}</button>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A dismissed alert's reason kept as a label. */
export function keepAsNotViolation(clipId: string, violationId: string, onDone: () => void, onError: (e: unknown) => void): void {
  api<ClipLabel>('POST', `/api/clips/${seg(clipId)}/labels/not-violation`, { violationId }).then(() => {
    toast(t('labels.kept'), 'ok');
    onDone();
  }, onError);
}
