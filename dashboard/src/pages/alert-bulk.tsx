// Several alerts at once: pick them in the list, confirm or dismiss them with one reason; and Undo on the toast that
// follows every decision (the server takes back only the caller's own newest decision, for two minutes).
import { useState } from 'preact/hooks';
import type { Violation } from '../../../services/api/schemas/violation.ts';
import { api } from '../api.ts';
import { t } from '../i18n/index.ts';
import { ErrorNote, toast } from '../components/ui.tsx';
import { REASONS, type Reason } from './alert-detail.tsx';

type Setter = (update: (old: Violation[] | undefined) => Violation[] | undefined) => void;

/** Newest first, as the API lists them. */
const newestFirst = (a: Violation, b: Violation): number => b.happenedAt.localeCompare(a.happenedAt) || a.id.localeCompare(b.id);

/**
 * A function that shows `text` with an Undo button for `decided`; pressing it asks the server to take the decisions
 * back and puts the alerts, with the status they have again, where the list's filter wants them.
 */
export function useUndo(fits: (v: Violation) => boolean, setList: Setter, onChanged: () => void): (text: string, decided: Violation[]) => void {
  return (text, decided) => toast(text, 'ok', {
    label: t('alerts.undo'),
    run: () => {
      api<{ violations: Violation[] }>('POST', '/api/violations/reviews/undo', { ids: decided.map((v) => v.id) }).then(({ violations }) => {
        const back = new Map(violations.map((v) => [v.id, v]));
        setList((old) => {
          const kept = (old ?? []).filter((v) => !back.has(v.id));
          return [...kept, ...violations.filter(fits)].sort(newestFirst);
        });
        onChanged();
        toast(t('alerts.undone', { n: violations.filter((v) => decided.some((d) => d.id === v.id && d.status === v.status)).length }), 'info');
      }, () => toast(t('alerts.undoFailed'), 'warn'));
    },
  });
}

export function BulkBar({ items, checked, setChecked, onDone }: {
  items: Violation[];
  checked: Set<string>;
  setChecked: (s: Set<string>) => void;
  onDone: (updated: Violation[], before: Violation[]) => void;
}) {
  const [reason, setReason] = useState<Reason | ''>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const picked = items.filter((v) => checked.has(v.id));
  const allPicked = items.length > 0 && picked.length === items.length;

  const decide = (decision: 'confirmed' | 'dismissed'): void => {
    if (picked.length === 0 || busy || (decision === 'dismissed' && reason === '')) return;
    setBusy(true);
    setError(undefined);
    const body = { ids: picked.map((v) => v.id), decision, ...(decision === 'dismissed' ? { reasonCode: reason } : {}) };
    api<{ violations: Violation[] }>('POST', '/api/violations/reviews', body).then(({ violations }) => {
      setChecked(new Set());
      setReason('');
      onDone(violations, picked);
    }, setError).finally(() => setBusy(false));
  };

  return (
    <div class={`bulk ${picked.length > 0 ? 'on' : ''}`} role="group" aria-label={t('alerts.bulk')}>
      <label class="radio">
        <input type="checkbox" checked={allPicked} disabled={items.length === 0}
          onChange={(e) => setChecked(e.currentTarget.checked ? new Set(items.map((v) => v.id)) : new Set())} />
        <span>{picked.length > 0 ? t('alerts.picked', { n: picked.length }) : t('alerts.pickAll')}</span>
      </label>
      {picked.length > 0 && (
        <div class="bulk-actions">
          <button type="button" class="primary" disabled={busy} onClick={() => decide('confirmed')}>{t('alerts.bulkConfirm', { n: picked.length })}</button>
          <select value={reason} aria-label={t('alert.reasonLegend')} onChange={(e) => setReason(e.currentTarget.value as Reason | '')}>
            <option value="">{t('alert.reasonLegend')}</option>
            {REASONS.map((r) => <option key={r} value={r}>{t(`reason.${r}`)}</option>)}
          </select>
          <button type="button" class="danger" disabled={busy || reason === ''} onClick={() => decide('dismissed')}>{t('alerts.bulkDismiss', { n: picked.length })}</button>
        </div>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
