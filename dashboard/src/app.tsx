// The signed-in frame: header with store scope and live state, navigation with queue counts, and the page of the path.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Me } from '../../services/api/schemas/auth.ts';
import { api, ApiError, onSessionEnded, openLiveEvents, qs } from './api.ts';
import { lang, t } from './i18n/index.ts';
import { emitLive, useLive } from './live.ts';
import { PAGES, navigate, onLink, useRoute } from './router.ts';
import { SessionContext, loadSession, sessionApi, type Session } from './session.tsx';
import { ErrorNote, Toasts } from './components/ui.tsx';
import { Alerts } from './pages/alerts.tsx';
import { Cameras } from './pages/cameras.tsx';
import { Clips } from './pages/clips.tsx';
import { Reports } from './pages/reports.tsx';
import { DailyDigestPage } from './pages/report-digest.tsx';
import { ReviewQueue } from './pages/review.tsx';
import { SignIn } from './pages/signin.tsx';
import { Sops } from './pages/sops.tsx';

function Frame({ session, onSignOut }: { session: Session; onSignOut: () => Promise<void> }) {
  const [current, setCurrent] = useState(session);
  const route = useRoute();
  const [live, setLive] = useState(false);
  const [counts, setCounts] = useState({ open: 0, review: 0 });
  const [countTick, setCountTick] = useState(0);
  const s = useMemo(() => sessionApi(current, setCurrent, onSignOut), [current]);

  useEffect(() => openLiveEvents(emitLive, setLive), []);
  useEffect(() => {
    const storeId = current.storeId;
    void Promise.all([
      api<{ byStatus: Record<string, number> }>('GET', `/api/violations/counts${qs({ storeId, status: 'open' })}`),
      api<unknown[]>('GET', `/api/review-items${qs({ storeId, status: 'open', limit: 500 })}`),
    ]).then(([c, r]) => setCounts({ open: c.byStatus.open ?? 0, review: r.length }), () => undefined);
  }, [current.storeId, countTick]);
  useLive((e) => {
    if (e.type === 'violation.created' || (e.type === 'clip.progress' && e.data.status === 'done')) setCountTick((n) => n + 1);
  });

  const path = route.path === '/' ? '/alerts' : route.path;
  const page = (() => {
    switch (path) {
      case '/review': return <ReviewQueue />;
      case '/clips': return <Clips />;
      case '/cameras': return <Cameras />;
      case '/sops': return <Sops />;
      case '/reports': return <Reports />;
      case '/reports/digest': return <DailyDigestPage />;
      default: return <Alerts onChanged={() => setCountTick((n) => n + 1)} />;
    }
  })();

  return (
    <SessionContext.Provider value={s}>
      <a class="skip" href="#main">{t('common.skip')}</a>
      <header class="topbar">
        <a class="brand" href="/alerts" onClick={onLink} aria-label="sopwatch"><span class="brand-mark" aria-hidden="true">sw</span><span class="brand-name">sopwatch</span></a>
        <label class="store-pick">
          <span class="sr-only">{t('header.store')}</span>
          <select value={current.storeId} onChange={(e) => s.setStoreId(e.currentTarget.value)} disabled={current.stores.length < 2}>
            {current.stores.length > 1 && <option value="">{t('header.allStores', { n: current.stores.length })}</option>}
            {current.stores.map((st) => <option key={st.id} value={st.id}>{st.name}</option>)}
          </select>
        </label>
        <span class={`live ${live ? 'on' : ''}`} title={live ? t('header.liveOn') : t('header.liveOff')}>
          <i aria-hidden="true" /><span class="live-text">{live ? t('header.live') : t('header.offline')}</span>
        </span>
        <div class="who">
          <span class="who-email">{current.me.email}</span>
          <span class={`badge role-${current.me.role}`}>{t(`role.${current.me.role}`)}</span>
          <button type="button" class="link" onClick={() => void onSignOut()}>{t('header.signOut')}</button>
        </div>
      </header>
      <nav class="mainnav" aria-label={t('nav.label')}>
        {PAGES.map((p) => (
          <a key={p.path} href={p.path} onClick={onLink} class={path === p.path || path.startsWith(`${p.path}/`) ? 'on' : ''} aria-current={path === p.path ? 'page' : undefined}>
            {t(p.label)}
            {p.path === '/alerts' && counts.open > 0 && <span class="count" aria-label={t('nav.openCount', { n: counts.open })}>{counts.open}</span>}
            {p.path === '/review' && counts.review > 0 && <span class="count" aria-label={t('nav.reviewCount', { n: counts.review })}>{counts.review}</span>}
          </a>
        ))}
      </nav>
      {current.me.role === 'auditor' && <p class="banner">{t('header.auditor')}</p>}
      <div class="content">{page}</div>
      <Toasts />
    </SessionContext.Provider>
  );
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const route = useRoute();

  const start = (me: Me): void => {
    setEnded(false);
    loadSession(me).then((s) => {
      setSession(s);
      if (route.path === '/signin' || route.path === '/') navigate('/alerts', {}, true);
    }, setError);
  };

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    onSessionEnded(() => {
      setSession(null);
      setEnded(true);
    });
    api<Me>('GET', '/api/auth/me').then(start, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) setSession(null);
      else setError(err);
    });
  }, []);

  const signOut = async (): Promise<void> => {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    setSession(null);
    navigate('/signin', {}, true);
  };

  if (error !== undefined) return <main class="signin"><ErrorNote error={error} /></main>;
  if (session === undefined) return null;
  if (session === null) return <SignIn onSignedIn={start} ended={ended} />;
  return <Frame session={session} onSignOut={signOut} />;
}
