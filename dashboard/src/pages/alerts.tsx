// The alerts inbox: a queue to work through with the keyboard (j/k, c, d, m, ?) or by touch, filtered by camera, rule,
// severity, days and words; several alerts decided at once; every decision can be undone for a few seconds. What rules
// in shadow mode found is a filter of its own ("would have alerted"), never mixed into the alerts.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Violation } from '../../../services/api/schemas/violation.ts';
import { api, qs, seg } from '../api.ts';
import { locale, t, tOr } from '../i18n/index.ts';
import { ago, dateTime } from '../lib/format.ts';
import { useLive } from '../live.ts';
import { navigate, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorNote, KeyHint, Loading, SeverityBadge, StatusBadge, ruleTitle, toast } from '../components/ui.tsx';
import { AlertFilters, apiQuery, filterOf, filterQuery, narrowed } from './alert-filters.tsx';
import { BulkBar, useUndo } from './alert-bulk.tsx';
import { HelpDialog } from '../components/help.tsx';
import { AlertDetail, REASONS, type DecisionUi, type Reason } from './alert-detail.tsx';
import { useQueueKeys } from './queue-keys.ts';
import { NextStep } from '../components/next-step.tsx';

export function Alerts({ onChanged }: { onChanged: () => void }) {
  const s = useSession();
  const route = useRoute();
  const f = filterOf(route);
  const filter = f.status;
  const filterKey = JSON.stringify(apiQuery(f));
  /** Whether an alert belongs in the list as filtered: shadow findings only under their own filter. */
  const fits = (v: Violation): boolean => (filter === 'shadow' ? v.shadow : !v.shadow && (filter === 'all' || v.status === filter));
  const selectedId = route.query.get('v') ?? undefined;
  const [list, setList] = useState<Violation[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [help, setHelp] = useState(false);
  const [dismissing, setDismissing] = useState(false);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [rules, setRules] = useState<ReadonlyMap<string, string>>(new Map());
  const [decisionError, setDecisionError] = useState<unknown>(undefined);
  const commentRef = useRef<HTMLTextAreaElement | null>(null);
  const listRef = useRef<HTMLUListElement | null>(null);
  const nowMs = Date.now();

  const select = (id: string | undefined, replace = false): void => navigate('/alerts', filterQuery(f, { v: id }), replace);

  useEffect(() => {
    setList(undefined);
    setError(undefined);
    setChecked(new Set());
    api<Violation[]>('GET', `/api/violations${qs({ ...apiQuery(f), storeId: s.session.storeId, limit: 200 })}`).then((l) => {
      setList(l);
      setRules((old) => new Map([...old, ...l.map((v): [string, string] => [v.rule, ruleTitle(v)])]));
    }, setError);
  }, [filterKey, s.session.storeId]);

  useEffect(() => {
    setDismissing(false);
    setComment('');
    setDecisionError(undefined);
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  useLive((e) => {
    if (e.type !== 'violation.created' || !s.scope.some((st) => st.id === e.data.storeId)) return;
    void api<Violation>('GET', `/api/violations/${seg(e.data.violationId)}`).then((v) => {
      if (!fits(v) || narrowed(f)) return;
      setList((old) => (old === undefined || old.some((x) => x.id === v.id) ? old : [v, ...old]));
      setFresh((f) => new Set(f).add(v.id));
      toast(t('alerts.arrived', { rule: ruleTitle(v), camera: s.cameraName(v.cameraId) }), 'warn');
    }, () => undefined);
  });

  const items = list ?? [];
  const index = items.findIndex((v) => v.id === selectedId);
  const selected = index >= 0 ? items[index] : undefined;

  /** Decided alerts leave a list that shows another status; undone ones come back in place. */
  const apply = (updated: Violation[]): void => {
    const byId = new Map(updated.map((v) => [v.id, v]));
    setList((old) => (old ?? []).flatMap((v) => {
      const u = byId.get(v.id);
      return u === undefined ? [v] : fits(u) ? [u] : [];
    }));
    onChanged();
  };
  const offerUndo = useUndo(fits, setList, onChanged);

  const decide = (decision: 'confirmed' | 'dismissed', reason?: Reason): void => {
    if (selected === undefined || busy) return;
    if (!s.canWrite) {
      toast(t('alert.readOnly'), 'warn');
      return;
    }
    setBusy(true);
    setDecisionError(undefined);
    const body = { decision, ...(reason === undefined ? {} : { reasonCode: reason }), ...(comment.trim() === '' ? {} : { comment: comment.trim() }) };
    const before = selected;
    api<Violation>('POST', `/api/violations/${seg(selected.id)}/reviews`, body).then((updated) => {
      offerUndo(decision === 'confirmed' ? t('alerts.confirmed') : t('alerts.dismissed', { reason: tOr(`reason.${reason ?? ''}`, reason ?? '') }), [before]);
      const stays = fits(updated);
      apply([updated]);
      // Work through the queue: the next alert takes the decided one's place.
      const next = stays ? updated : (items[index + 1] ?? items[index - 1]);
      select(next?.id, true);
    }, setDecisionError).finally(() => setBusy(false));
  };

  const ui: DecisionUi = { dismissing, setDismissing, comment, setComment, busy, error: decisionError, decide, commentRef };

  useQueueKeys({
    help, toggleHelp: (open) => setHelp((h) => open ?? !h), dismissing, setDismissing, list: listRef.current, hasSelection: selected !== undefined,
    move: (step) => {
      const from = index < 0 ? (step > 0 ? -1 : items.length) : index;
      const next = items[Math.min(items.length - 1, Math.max(0, from + step))];
      if (next) select(next.id, true);
    },
    confirm: () => decide('confirmed'),
    startDismiss: () => (s.canWrite ? setDismissing(true) : toast(t('alert.readOnly'), 'warn')),
    dismissWith: (n) => decide('dismissed', REASONS[n - 1]),
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
    <div class={`inbox ${selected !== undefined ? 'has-selection' : ''}`}>
      <section class="queue" aria-labelledby="alerts-title">
        <div class="queue-head">
          <h1 id="alerts-title">{t('nav.alerts')}</h1>
          <button type="button" class="icon" onClick={() => setHelp(true)} aria-label={t('help.title')} title={t('help.title')}>?</button>
        </div>
        <AlertFilters filter={f} rules={rules} />
        {s.canWrite && <BulkBar items={items} checked={checked} setChecked={setChecked} onDone={(updated, before) => {
          apply(updated);
          offerUndo(t('alerts.bulkDone', { n: updated.length }), before);
        }} />}
        {filter === 'shadow' && <p class="lead" id="shadow-lead">{t('alerts.shadowLead')}</p>}
        <ErrorNote error={error} />
        {list === undefined && error === undefined && <Loading />}
        {list !== undefined && items.length === 0 && (
          <Empty title={narrowed(f) ? t('alerts.emptyFiltered') : filter === 'open' ? t('alerts.emptyOpen') : t('alerts.empty')}>
            {!narrowed(f) && filter === 'open' && t('alerts.emptyOpenHint')}
            {!narrowed(f) && <NextStep />}
            {filter === 'needs_review' && <a href="/review" onClick={(e) => { e.preventDefault(); navigate('/review'); }}>{t('alerts.reviewElsewhere')}</a>}
          </Empty>
        )}
        {items.length > 0 && (
          <ul class="queue-list" role="listbox" tabIndex={0} aria-label={t('alerts.listLabel')} ref={listRef}
            aria-activedescendant={selected !== undefined ? `alert-${encodeURIComponent(selected.id)}` : undefined}>
            {items.map((v) => (
              <li key={v.id} id={`alert-${encodeURIComponent(v.id)}`} role="option" aria-selected={v.id === selectedId}
                class={`queue-item sevbar-${v.severity} ${v.id === selectedId ? 'selected' : ''} ${fresh.has(v.id) ? 'fresh' : ''}`}
                onClick={() => select(v.id)}>
                {s.canWrite && (
                  <input type="checkbox" class="qi-check" checked={checked.has(v.id)} aria-label={t('alerts.pickOne', { rule: ruleTitle(v) })}
                    onClick={(e) => e.stopPropagation()}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setChecked((old) => {
                        const next = new Set(old);
                        if (on) next.add(v.id);
                        else next.delete(v.id);
                        return next;
                      });
                    }} />
                )}
                <div class="qi-main">
                  <span class="qi-title">{ruleTitle(v)}{v.step !== null && <span class="muted"> · {v.step}</span>}</span>
                  <span class="qi-meta">{s.cameraName(v.cameraId)}{s.session.storeId === '' && s.session.stores.length > 1 && <> · {s.storeName(v.storeId)}</>}</span>
                  <span class="qi-when"><time dateTime={v.happenedAt}>{dateTime(v.happenedAt, locale, s.storeTz(v.storeId))}</time> · {ago(v.happenedAt, nowMs, locale)}</span>
                </div>
                <div class="qi-side">
                  <SeverityBadge severity={v.severity} />
                  {v.shadow && <span class="badge shadow">{t('sops.shadow')}</span>}
                  {filter === 'all' || v.status !== filter ? <StatusBadge status={v.status} /> : fresh.has(v.id) ? <span class="badge new">{t('alerts.new')}</span> : null}
                </div>
              </li>
            ))}
          </ul>
        )}
        <p class="hint keys-hint muted"><KeyHint text={t('alerts.keyHint')} /></p>
      </section>
      <section class="detail" aria-live="polite">
        {selected !== undefined ? <AlertDetail v={selected} ui={ui} onBack={() => select(undefined)} /> : items.length > 0 && <Empty title={t('alerts.pick')}><span class="keys-only"><KeyHint text={t('alerts.pickHint')} /></span></Empty>}
      </section>
      {help && <HelpDialog onClose={() => setHelp(false)} />}
    </div>
  );
}
