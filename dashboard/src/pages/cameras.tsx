// Cameras: live health and what each one has been doing (footage, open alerts), and its SOP zones drawn over a fresh frame.
import { useEffect, useState } from 'preact/hooks';
import type { Camera } from '../../../services/api/schemas/camera.ts';
import type { Clip } from '../../../services/api/schemas/clip.ts';
import { api, qs, seg } from '../api.ts';
import { locale, t } from '../i18n/index.ts';
import { ago, dateTime } from '../lib/format.ts';
import { href, navigate, onLink, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { Empty, Loading } from '../components/ui.tsx';
import { CameraAdd } from '../components/camera-add.tsx';
import { NextStep } from '../components/next-step.tsx';
import { StreamForm } from '../components/stream-form.tsx';
import { ZoneEditor, type Backdrop } from '../components/zone-editor.tsx';
import { HealthFacts, healthLine, healthTone, useHealth } from './camera-health.tsx';

interface Activity {
  lastClip?: Clip;
  open: number;
}

function useActivity(cameras: Camera[]): Map<string, Activity> {
  const [map, setMap] = useState(new Map<string, Activity>());
  useEffect(() => {
    void Promise.all(cameras.map(async (c) => {
      const [clips, counts] = await Promise.all([
        api<Clip[]>('GET', `/api/clips${qs({ storeId: c.storeId, cameraId: c.id, limit: 1 })}`),
        api<{ byStatus: Record<string, number> }>('GET', `/api/violations/counts${qs({ storeId: c.storeId, cameraId: c.id, status: 'open' })}`),
      ]);
      return [c.id, { lastClip: clips[0], open: counts.byStatus.open ?? 0 }] as const;
    })).then((rows) => setMap(new Map(rows)), () => undefined);
  }, [cameras.map((c) => c.id).join()]);
  return map;
}

/** The picture's size once it loads, or undefined when there is none (the snapshot route says 404 until a frame exists). */
const imageAspect = (src: string): Promise<number | undefined> => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve(img.naturalWidth > 0 && img.naturalHeight > 0 ? img.naturalWidth / img.naturalHeight : undefined);
  img.onerror = () => resolve(undefined);
  img.src = src;
});

/**
 * The camera's latest snapshot (faces blurred; a connection test takes a fresh one) to draw zones on. Evidence keyframes
 * are not used: they carry the zones and boxes of their time drawn into them.
 */
function useBackdrop(camera: Camera | undefined): Backdrop | undefined {
  const [b, setB] = useState<Backdrop | undefined>(undefined);
  useEffect(() => {
    setB(undefined);
    if (camera === undefined) return;
    void (async () => {
      const snap = `/api/stores/${seg(camera.storeId)}/cameras/${seg(camera.id)}/snapshot.jpg?t=${Date.now()}`;
      const snapAspect = await imageAspect(snap);
      if (snapAspect !== undefined) return setB({ src: snap, aspect: snapAspect, note: t('zones.snapshotNote', { at: dateTime(new Date().toISOString(), locale) }) });
      setB({ aspect: 16 / 9, note: t('onboard.noCleanPicture') });
    })().catch(() => setB({ aspect: 16 / 9, note: t('onboard.noCleanPicture') }));
  }, [camera?.id]);
  return b;
}

export function Cameras() {
  const s = useSession();
  const route = useRoute();
  const cameras = s.session.cameras.filter((c) => s.scope.some((st) => st.id === c.storeId));
  const selected = cameras.find((c) => c.id === route.query.get('camera'));
  const activity = useActivity(cameras);
  const health = useHealth([...new Set(cameras.map((c) => c.storeId))]);
  const backdrop = useBackdrop(selected);
  const adding = route.query.get('add') === '1' && s.canWrite;
  const now = Date.now();

  return (
    <main class={`page cameras ${selected !== undefined ? 'has-selection' : ''}`} id="main">
      <header class="page-head split">
        <div><h1>{t('nav.cameras')}</h1><p class="lead">{t('cameras.lead')}</p></div>
        {s.canWrite && !adding && <a class="button primary" href={href('/cameras', { add: '1' })} onClick={onLink}>{t('onboard.addCamera')}</a>}
      </header>
      {adding && <CameraAdd onCancel={() => navigate('/cameras', {})} />}
      {cameras.length === 0 && !adding && <Empty title={t('cameras.empty')}><NextStep /></Empty>}
      <div class="camera-layout">
        <ul class="camera-list">
          {cameras.map((c) => {
            const a = activity.get(c.id);
            const last = a?.lastClip;
            const h = health.get(c.id);
            const line = healthLine(h, now, s.storeTz(c.storeId));
            const tone = healthTone(h);
            return (
              <li key={c.id}>
                <a class={`camera-card ${c.id === selected?.id ? 'on' : ''}`} href={href('/cameras', { camera: c.id })} onClick={onLink} aria-current={c.id === selected?.id ? 'page' : undefined}>
                  {/* Green means watched live: a camera without an address that no worker watches never shows it. */}
                  <span class={`dot ${c.host === null && h?.state !== 'online' ? 'uploads' : tone !== 'idle' ? tone : last === undefined ? 'idle' : 'seen'}`} aria-hidden="true" />
                  <span class="cc-main">
                    <strong>{c.name}</strong>
                    <span class="muted">{s.session.stores.length > 1 ? `${s.storeName(c.storeId)} · ` : ''}{c.host ?? t('cameras.uploadsOnly')}{c.tags.length > 0 ? ` · ${c.tags.join(', ')}` : ''}</span>
                    {line !== undefined && <span class={`health-line ${tone}`}>{line}</span>}
                    <span class="muted">{last === undefined ? t('cameras.noFootage') : t('cameras.lastFootage', { when: ago(last.createdAt, now, locale) })}</span>
                  </span>
                  {a !== undefined && a.open > 0 && <span class="badge sev-high">{t('cameras.open', { n: a.open })}</span>}
                </a>
              </li>
            );
          })}
        </ul>
        <section class="camera-detail" aria-label={t('cameras.zonesTitle')}>
          {selected === undefined ? (cameras.length > 0 && <Empty title={t('cameras.pick')}>{t('cameras.pickHint')}</Empty>) : (
            <>
              <div class="detail-head">
                <a class="back" href="/cameras" onClick={onLink}>{t('common.back')}</a>
                <h2>{t('cameras.zonesOf', { camera: selected.name })}</h2>
              </div>
              <HealthFacts camera={selected} h={health.get(selected.id)} tz={s.storeTz(selected.storeId)} />
              {backdrop === undefined ? <Loading /> : <ZoneEditor camera={selected} backdrop={backdrop} />}
              <StreamForm camera={selected} canWrite={s.canWrite} />
            </>
          )}
        </section>
      </div>
    </main>
  );
}
