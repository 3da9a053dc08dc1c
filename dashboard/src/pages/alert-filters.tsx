// The alerts list's filters: status chips, then camera, rule, severity, days and words, all kept in the URL so that a
// filtered list can be shared and survives a reload.
import { useEffect, useState } from 'preact/hooks';
import type { Route } from '../router.ts';
import { t, tOr } from '../i18n/index.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { prettyId } from '../components/ui.tsx';

export const STATUSES = ['open', 'needs_review', 'confirmed', 'dismissed', 'all', 'shadow'] as const;
export type StatusFilter = (typeof STATUSES)[number];

export interface AlertFilter {
  status: StatusFilter;
  cam?: string;
  rule?: string;
  sev?: string;
  /** Days (YYYY-MM-DD, the browser's days), both included. */
  from?: string;
  to?: string;
  q?: string;
}

const SEVERITIES = ['high', 'medium', 'low'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filterOf(route: Route): AlertFilter {
  const get = (k: string): string | undefined => {
    const v = route.query.get(k)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const status = (STATUSES as readonly string[]).includes(get('status') ?? '') ? (get('status') as StatusFilter) : 'open';
  const day = (k: string): string | undefined => (DAY.test(get(k) ?? '') ? get(k) : undefined);
  return { status, cam: get('cam'), rule: get('rule'), sev: (SEVERITIES as readonly string[]).includes(get('sev') ?? '') ? get('sev') : undefined, from: day('from'), to: day('to'), q: get('q') };
}

/** The URL query of a filter (the default status is left out), plus what else the page keeps there. */
export function filterQuery(f: AlertFilter, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { status: f.status === 'open' ? undefined : f.status, cam: f.cam, rule: f.rule, sev: f.sev, from: f.from, to: f.to, q: f.q, ...extra };
}

/** The API query of a filter: days become instants at the browser's midnights, `to` inclusive. */
export function apiQuery(f: AlertFilter): Record<string, string | undefined> {
  const midnight = (day: string, plusDays = 0): string => {
    const d = new Date(`${day}T00:00:00`);
    d.setDate(d.getDate() + plusDays);
    return d.toISOString();
  };
  return {
    status: f.status === 'all' || f.status === 'shadow' ? undefined : f.status, shadow: f.status === 'shadow' ? 'only' : undefined, cameraId: f.cam, rule: f.rule, severity: f.sev, q: f.q,
    from: f.from === undefined ? undefined : midnight(f.from), to: f.to === undefined ? undefined : midnight(f.to, 1),
  };
}

export const narrowed = (f: AlertFilter): boolean => [f.cam, f.rule, f.sev, f.from, f.to, f.q].some((v) => v !== undefined);

/** `rules`: the rules seen in the lists so far, id to title in the viewer's language. */
export function AlertFilters({ filter, rules }: { filter: AlertFilter; rules: ReadonlyMap<string, string> }) {
  const s = useSession();
  const [words, setWords] = useState(filter.q ?? '');
  const [open, setOpen] = useState(narrowed(filter));
  useEffect(() => setWords(filter.q ?? ''), [filter.q]);
  const set = (patch: Partial<AlertFilter>): void => navigate('/alerts', filterQuery({ ...filter, ...patch }), true);
  const cameras = s.session.cameras.filter((c) => s.scope.some((st) => st.id === c.storeId));
  const label = (r: string): string => rules.get(r) ?? prettyId(r);
  const ruleOptions = [...new Set([...rules.keys(), ...(filter.rule === undefined ? [] : [filter.rule])])].sort((a, b) => label(a).localeCompare(label(b)));

  return (
    <div class="alert-filters">
      <nav class="chips" aria-label={t('alerts.filter')}>
        {STATUSES.map((st) => (
          <a key={st} href={`/alerts${st === 'open' ? '' : `?status=${st}`}`} class={st === filter.status ? 'chip on' : 'chip'} aria-current={st === filter.status ? 'page' : undefined}
            onClick={(e) => { e.preventDefault(); set({ status: st }); }}>
            {st === 'shadow' ? t('alerts.shadow') : tOr(`status.${st}`, t('alerts.all'))}
          </a>
        ))}
      </nav>
      <form class="search-row" role="search" onSubmit={(e) => { e.preventDefault(); set({ q: words.trim() === '' ? undefined : words.trim() }); }}>
        <input type="search" value={words} maxLength={200} onInput={(e) => setWords(e.currentTarget.value)} placeholder={t('alerts.searchHint')} aria-label={t('alerts.search')} />
        <button type="submit">{t('alerts.search')}</button>
        <button type="button" class={`link ${open ? 'on' : ''}`} aria-expanded={open} onClick={() => setOpen(!open)}>{t('alerts.more')}</button>
      </form>
      {open && (
        <div class="filter-grid">
          <label class="field"><span>{t('alert.camera')}</span>
            <select value={filter.cam ?? ''} onChange={(e) => set({ cam: e.currentTarget.value || undefined })}>
              <option value="">{t('alerts.any')}</option>
              {cameras.map((c) => <option key={c.id} value={c.id}>{c.name}{s.scope.length > 1 ? ` · ${s.storeName(c.storeId)}` : ''}</option>)}
            </select>
          </label>
          <label class="field"><span>{t('alerts.rule')}</span>
            <select value={filter.rule ?? ''} onChange={(e) => set({ rule: e.currentTarget.value || undefined })}>
              <option value="">{t('alerts.any')}</option>
              {ruleOptions.map((r) => <option key={r} value={r}>{label(r)}</option>)}
            </select>
          </label>
          <label class="field"><span>{t('alerts.severity')}</span>
            <select value={filter.sev ?? ''} onChange={(e) => set({ sev: e.currentTarget.value || undefined })}>
              <option value="">{t('alerts.any')}</option>
              {SEVERITIES.map((v) => <option key={v} value={v}>{tOr(`severity.${v}`, v)}</option>)}
            </select>
          </label>
          <label class="field"><span>{t('alerts.from')}</span>
            <input type="date" value={filter.from ?? ''} onChange={(e) => set({ from: e.currentTarget.value || undefined })} />
          </label>
          <label class="field"><span>{t('alerts.to')}</span>
            <input type="date" value={filter.to ?? ''} onChange={(e) => set({ to: e.currentTarget.value || undefined })} />
          </label>
          {narrowed(filter) && <button type="button" class="link" onClick={() => navigate('/alerts', filterQuery({ status: filter.status }), true)}>{t('alerts.clearFilters')}</button>}
        </div>
      )}
    </div>
  );
}
