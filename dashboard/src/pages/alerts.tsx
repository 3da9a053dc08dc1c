// The alerts inbox: a queue to work through with the keyboard (j/k, c, d, m, ?), new alerts arriving live. What rules
// in shadow mode found is a filter of its own ("would have alerted"), never mixed into the alerts.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Violation } from '../../../services/api/schemas/violation.ts';
import { api, qs, seg } from '../api.ts';
import { locale, t, tOr } from '../i18n/index.ts';
import { ago } from '../lib/format.ts';
import { useLive } from '../live.ts';
import { navigate, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorNote, Loading, SeverityBadge, StatusBadge, prettyId, toast } from '../components/ui.tsx';
import { HelpDialog } from '../components/help.tsx';
import { AlertDetail, REASONS, type DecisionUi, type Reason } from './alert-detail.tsx';
import { useQueueKeys } from './queue-keys.ts';

const FILTERS = ['open', 'needs_review', 'confirmed', 'dismissed', 'all', 'shadow'] as const;
type Filter = (typeof FILTERS)[number];

export function Alerts({ onChanged }: { onChanged: () => void }) {
  const s = useSession();
  const route = useRoute();
  const filter = (FILTERS as readonly string[]).includes(route.query.get('status') ?? '') ? (route.query.get('status') as Filter) : 'open';
  const selectedId = route.query.get('v') ?? undefined;
  const [list, setList] = useState<Violation[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [help, setHelp] = useState(false);
  const [dismissing, setDismissing] = useState(false);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [decisionError, setDecisionError] = useState<unknown>(undefined);
  const commentRef = useRef<HTMLTextAreaElement | null>(null);
  const listRef = useRef<HTMLUListElement | null>(null);
  const nowMs = Date.now();

  const select = (id: string | undefined, replace = false): void => navigate('/alerts', { status: filter === 'open' ? undefined : filter, v: id }, replace);

  useEffect(() => {
    setList(undefined);
    setError(undefined);
    const status = filter === 'all' || filter === 'shadow' ? undefined : filter;
    const shadow = filter === 'shadow' ? 'only' : undefined;
    api<Violation[]>('GET', `/api/violations${qs({ status, shadow, storeId: s.session.storeId, limit: 200 })}`).then(setList, setError);
  }, [filter, s.session.storeId]);

  useEffect(() => {
    setDismissing(false);
    setComment('');
    setDecisionError(undefined);
    listRef.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  useLive((e) => {
    if (e.type !== 'violation.created' || !s.scope.some((st) => st.id === e.data.storeId)) return;
    void api<Violation>('GET', `/api/violations/${seg(e.data.violationId)}`).then((v) => {
      if (v.shadow !== (filter === 'shadow')) return;
      if (filter !== 'all' && filter !== 'shadow' && v.status !== filter) return;
      setList((old) => (old === undefined || old.some((x) => x.id === v.id) ? old : [v, ...old]));
      setFresh((f) => new Set(f).add(v.id));
      toast(t('alerts.arrived', { rule: prettyId(v.rule), camera: s.cameraName(v.cameraId) }), 'warn');
    }, () => undefined);
  });

  const items = list ?? [];
  const index = items.findIndex((v) => v.id === selectedId);
  const selected = index >= 0 ? items[index] : undefined;

  const decide = (decision: 'confirmed' | 'dismissed', reason?: Reason): void => {
    if (selected === undefined || busy) return;
    if (!s.canWrite) {
      toast(t('alert.readOnly'), 'warn');
      return;
    }
    setBusy(true);
    setDecisionError(undefined);
    const body = { decision, ...(reason === undefined ? {} : { reasonCode: reason }), ...(comment.trim() === '' ? {} : { comment: comment.trim() }) };
    api<Violation>('POST', `/api/violations/${seg(selected.id)}/reviews`, body).then((updated) => {
      toast(decision === 'confirmed' ? t('alerts.confirmed') : t('alerts.dismissed', { reason: tOr(`reason.${reason ?? ''}`, reason ?? '') }), 'ok');
      onChanged();
      const stays = filter === 'all' || filter === 'shadow' || updated.status === filter;
      setList((old) => (old ?? []).flatMap((v) => (v.id !== updated.id ? [v] : stays ? [updated] : [])));
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
        <nav class="chips" aria-label={t('alerts.filter')}>
          {FILTERS.map((f) => (
            <a key={f} href={`/alerts${f === 'open' ? '' : `?status=${f}`}`} class={f === filter ? 'chip on' : 'chip'} aria-current={f === filter ? 'page' : undefined}
              onClick={(e) => { e.preventDefault(); navigate('/alerts', { status: f === 'open' ? undefined : f }); }}>
              {f === 'shadow' ? t('alerts.shadow') : tOr(`status.${f}`, t('alerts.all'))}
            </a>
          ))}
        </nav>
        {filter === 'shadow' && <p class="lead" id="shadow-lead">{t('alerts.shadowLead')}</p>}
        <ErrorNote error={error} />
        {list === undefined && error === undefined && <Loading />}
        {list !== undefined && items.length === 0 && <Empty title={filter === 'open' ? t('alerts.emptyOpen') : t('alerts.empty')}>{filter === 'open' && t('alerts.emptyOpenHint')}</Empty>}
        {items.length > 0 && (
          <ul class="queue-list" role="listbox" tabIndex={0} aria-label={t('alerts.listLabel')} ref={listRef}
            aria-activedescendant={selected !== undefined ? `alert-${encodeURIComponent(selected.id)}` : undefined}>
            {items.map((v) => (
              <li key={v.id} id={`alert-${encodeURIComponent(v.id)}`} role="option" aria-selected={v.id === selectedId}
                class={`queue-item sevbar-${v.severity} ${v.id === selectedId ? 'selected' : ''} ${fresh.has(v.id) ? 'fresh' : ''}`}
                onClick={() => select(v.id)}>
                <div class="qi-main">
                  <span class="qi-title">{prettyId(v.rule)}{v.step !== null && <span class="muted"> · {v.step}</span>}</span>
                  <span class="qi-meta">{s.cameraName(v.cameraId)}{s.session.storeId === '' && s.session.stores.length > 1 && <> · {s.storeName(v.storeId)}</>} · {ago(v.createdAt, nowMs, locale)}</span>
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
        <p class="hint muted">{t('alerts.keyHint')}</p>
      </section>
      <section class="detail" aria-live="polite">
        {selected !== undefined ? <AlertDetail v={selected} ui={ui} onBack={() => select(undefined)} /> : items.length > 0 && <Empty title={t('alerts.pick')}>{t('alerts.pickHint')}</Empty>}
      </section>
      {help && <HelpDialog onClose={() => setHelp(false)} />}
    </div>
  );
}
