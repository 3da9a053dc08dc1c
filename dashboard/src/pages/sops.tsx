// SOP rules in force per store: the files, their versions and cameras; one file in detail; a new file.
import { useEffect, useState } from 'preact/hooks';
import type { SopFile } from '../../../services/api/schemas/sop-file.ts';
import { api, seg } from '../api.ts';
import { locale, t } from '../i18n/index.ts';
import { dateTime } from '../lib/format.ts';
import { href, navigate, onLink, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { SopEditor } from '../components/sop-editor.tsx';
import { Empty, ErrorNote, Loading } from '../components/ui.tsx';
import { SopDetail } from './sop-detail.tsx';
import { SopGallery } from './sop-gallery.tsx';
import { StorePicker } from '../components/camera-add.tsx';

const TEMPLATE = `id: my-sop
title: My SOP
version: 1
cameras: ["*"]
zones:
  "*":
    counter: [[0.1, 0.6], [0.9, 0.6], [0.9, 1.0], [0.1, 1.0]]
rules:
  - id: counter-staffed
    title: Someone at the counter
    kind: required
    when: { person_in: counter }
    max_gap: 2m
    severity: medium
`;

export function Sops() {
  const s = useSession();
  const route = useRoute();
  const [files, setFiles] = useState<Map<string, SopFile[]> | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [reload, setReload] = useState(0);
  const storeId = route.query.get('store') ?? '';
  const sopId = route.query.get('sop') ?? '';
  const creating = route.query.get('new') === '1';

  useEffect(() => {
    setError(undefined);
    Promise.all(s.scope.map(async (st) => [st.id, await api<SopFile[]>('GET', `/api/stores/${seg(st.id)}/sops`)] as const))
      .then((rows) => setFiles(new Map(rows)), setError);
  }, [s.session.storeId, reload]);

  // With several stores in scope the person says which one: a new file never goes to one silently.
  const newStore = storeId !== '' ? storeId : s.scope.length === 1 ? (s.scope[0]?.id ?? '') : '';
  if (route.query.get('gallery') === '1' && s.canWrite) return <SopGallery />;
  if (creating && s.canWrite && newStore === '') {
    return (
      <main class="page" id="main">
        <header class="page-head"><h1>{t('sops.newTitle')}</h1></header>
        <StorePicker value="" label={t('onboard.newWhichStore')} onChange={(id) => navigate('/sops', { new: '1', store: id })} />
      </main>
    );
  }
  if (creating && s.canWrite) {
    return (
      <main class="page" id="main">
        <header class="page-head"><h1>{t('sops.newTitle')}</h1><p class="lead">{t('sops.newLead', { store: s.storeName(newStore) })}</p></header>
        <SopEditor storeId={newStore} initial={TEMPLATE} fileName="new-sop.yaml" onCancel={() => navigate('/sops', {})}
          onSaved={(f) => { setReload((n) => n + 1); navigate('/sops', { store: f.storeId, sop: f.sopId }); }} />
      </main>
    );
  }
  if (storeId !== '' && sopId !== '') {
    return <main class="page" id="main"><SopDetail storeId={storeId} sopId={sopId} onChanged={() => setReload((n) => n + 1)} /></main>;
  }
  return (
    <main class="page" id="main">
      <header class="page-head split">
        <div><h1>{t('nav.sops')}</h1><p class="lead">{t('sops.lead')}</p></div>
        {s.canWrite && s.scope.length > 0 && (
          <div class="actions">
            <a class="button primary" href={href('/sops', { gallery: '1', store: newStore === '' ? undefined : newStore })} onClick={onLink}>{t('onboard.fromGallery')}</a>
            <a class="button" href={href('/sops', { new: '1', store: newStore === '' ? undefined : newStore })} onClick={onLink}>{t('sops.new')}</a>
          </div>
        )}
      </header>
      <ErrorNote error={error} />
      {files === undefined && error === undefined && <Loading />}
      {files !== undefined && s.scope.map((st) => {
        // The list holds the newest version of each id and, where it differs, the enabled one: show one row per id.
        const rows = (files.get(st.id) ?? []).filter((f, i, all) => all.findIndex((g) => g.sopId === f.sopId) === i);
        return (
          <section key={st.id} aria-label={st.name}>
            {s.scope.length > 1 && <h2>{st.name}</h2>}
            {rows.length === 0 ? <Empty title={t('sops.empty')}>{t('onboard.next.noSops')} {s.canWrite && <a class="button primary" href={href('/sops', { gallery: '1', store: st.id })} onClick={onLink}>{t('onboard.fromGallery')}</a>}</Empty> : (
              <ul class="rows">
                {rows.map((f) => {
                  const enabled = (files.get(st.id) ?? []).find((g) => g.sopId === f.sopId && g.enabled);
                  return (
                    <li key={f.id}>
                      <a class="row" href={href('/sops', { store: st.id, sop: f.sopId })} onClick={onLink}>
                        <span class="row-main"><strong>{f.title}</strong><span class="muted"><span class="mono">{f.sopId}</span> · {t('sops.latest', { version: f.version })} · {dateTime(f.createdAt, locale, st.tz)}</span></span>
                        <span class="row-side">
                          {enabled ? <span class="badge status-open">{t('sops.inForce', { version: enabled.version })}</span> : <span class="badge">{t('sops.off')}</span>}
                          <span class="muted">{enabled === undefined || enabled.cameraIds === null ? t('sops.allCameras') : t('sops.someCameras', { n: enabled.cameraIds.length })}</span>
                        </span>
                      </a>
                    </li>
                  );
                })}
              </ul>
            )}
          </section>
        );
      })}
    </main>
  );
}
