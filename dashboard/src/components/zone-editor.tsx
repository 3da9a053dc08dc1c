// Draws an SOP file's zones over a camera image and lets a manager drag their points; saving uploads a new version.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Camera } from '../../../services/api/schemas/camera.ts';
import type { SopFile, SopFileBody } from '../../../services/api/schemas/sop-file.ts';
import type { Static } from '@sinclair/typebox';
import type { SopExplained } from '../../api-schemas.ts';
import { api, seg } from '../api.ts';
import { lang, t } from '../i18n/index.ts';
import { setZonePolygon, type Point } from '../lib/yaml-zones.ts';
import { useSession } from '../session.tsx';
import { ErrorNote, KeyHint, toast } from './ui.tsx';

export interface Backdrop {
  src?: string;
  /** Width over height of the camera picture (the keyframe below it may carry a caption band, cropped off). */
  aspect: number;
  note: string;
}

interface Applicable {
  file: SopFile;
  explained: SopExplained;
  /** `camera.name`, or `*` when the file's zones are shared by every camera. */
  key: string;
}

const fmt = (v: number): string => (v * 100).toFixed(1);

export function ZoneEditor({ camera, backdrop }: { camera: Camera; backdrop: Backdrop }) {
  const s = useSession();
  const [files, setFiles] = useState<Applicable[] | undefined>(undefined);
  const [sopId, setSopId] = useState('');
  const [edit, setEdit] = useState<Record<string, Point[]>>({});
  const [zone, setZone] = useState('');
  const [active, setActive] = useState(0);
  const [dirty, setDirty] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  const [reload, setReload] = useState(0);
  const stage = useRef<HTMLDivElement | null>(null);
  const drag = useRef<number | undefined>(undefined);

  useEffect(() => {
    setError(undefined);
    const store = seg(camera.storeId);
    api<SopFile[]>('GET', `/api/stores/${store}/sops`).then(async (list) => {
      const enabled = list.filter((f) => f.enabled && (f.cameraIds === null || f.cameraIds.includes(camera.id)));
      const out: Applicable[] = [];
      for (const f of enabled) {
        const ex = await api<SopExplained>('GET', `/api/stores/${store}/sops/${seg(f.sopId)}/explanation?version=${f.version}`);
        const names = [camera.name, ...camera.tags, '*'];
        if (!ex.cameras.some((c) => names.includes(c))) continue;
        const key = ex.zones[camera.name] !== undefined ? camera.name : ex.zones['*'] !== undefined ? '*' : undefined;
        if (key !== undefined) out.push({ file: f, explained: ex, key });
      }
      setFiles(out);
      setSopId((cur) => (out.some((a) => a.file.sopId === cur) ? cur : (out[0]?.file.sopId ?? '')));
    }).catch(setError);
  }, [camera.id, reload]);

  const current = files?.find((a) => a.file.sopId === sopId);
  useEffect(() => {
    const zones = current?.explained.zones[current.key] ?? {};
    setEdit(Object.fromEntries(Object.entries(zones).map(([k, v]) => [k, v.map(([x, y]) => [x, y] as Point)])));
    setZone(Object.keys(zones)[0] ?? '');
    setDirty(new Set());
    setActive(0);
  }, [current]);

  const points = edit[zone] ?? [];
  const move = (i: number, p: Point): void => {
    const clamp = (v: number): number => Math.min(1, Math.max(0, v));
    setEdit((e) => ({ ...e, [zone]: (e[zone] ?? []).map((q, j) => (j === i ? [clamp(p[0]), clamp(p[1])] : q)) }));
    setDirty((d) => new Set(d).add(zone));
  };
  const pointAt = (e: PointerEvent): Point | undefined => {
    const r = stage.current?.getBoundingClientRect();
    return r === undefined || r.width === 0 ? undefined : [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
  };
  const setPoints = (next: Point[]): void => {
    setEdit((e) => ({ ...e, [zone]: next }));
    setDirty((d) => new Set(d).add(zone));
  };

  const save = async (): Promise<void> => {
    if (current === undefined) return;
    setSaving(true);
    setError(undefined);
    try {
      const body = await api<Static<typeof SopFileBody>>('GET', `/api/stores/${seg(camera.storeId)}/sops/${seg(sopId)}?version=${current.file.version}`);
      let yaml = body.yaml;
      for (const z of dirty) {
        const out = setZonePolygon(yaml, current.key, z, edit[z] ?? []);
        if (!out.ok) throw new Error(out.reason);
        yaml = out.yaml;
      }
      const r = await api<{ sop: SopFile; warnings: string[] }>('POST', `/api/stores/${seg(camera.storeId)}/sops`, { yaml, fileName: `${sopId}.yaml` });
      toast(t('zones.saved', { version: r.sop.version }), 'ok');
      setReload((n) => n + 1);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  if (files !== undefined && files.length === 0) return <p class="muted">{t('zones.none')}</p>;
  const zones = Object.keys(edit);
  return (
    <div class="zone-editor">
      <div class="ze-toolbar">
        <label class="field inline">
          <span>{t('zones.sop')}</span>
          <select value={sopId} onChange={(e) => setSopId(e.currentTarget.value)}>
            {(files ?? []).map((a) => <option key={a.file.sopId} value={a.file.sopId}>{t('zh14.titledVersion', { title: lang === 'zh' ? a.explained.titleZh ?? a.explained.title : a.explained.title, version: a.file.version })}</option>)}
          </select>
        </label>
        <div class="chips" role="group" aria-label={t('zones.zones')}>
          {zones.map((z, i) => (
            <button key={z} type="button" class={`chip zone-chip z${i % 6} ${z === zone ? 'on' : ''}`} aria-pressed={z === zone} onClick={() => { setZone(z); setActive(0); }}>
              {z}{dirty.has(z) && ' •'}
            </button>
          ))}
        </div>
      </div>
      {current?.key === '*' && <p class="notice">{t('zones.shared')}</p>}
      <div class="ze-stage" ref={stage} style={{ aspectRatio: String(backdrop.aspect), maxWidth: `calc(56vh * ${backdrop.aspect})` }}>
        <div class="ze-crop">
          {backdrop.src !== undefined ? <img class="ze-img" src={backdrop.src} alt={t('zones.imageAlt', { camera: camera.name })} draggable={false} /> : <div class="ze-placeholder" />}
        </div>
        <svg class="ze-svg" viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
          {zones.map((z, i) => (
            <polygon key={z} class={`zone z${i % 6} ${z === zone ? 'on' : ''}`} points={(edit[z] ?? []).map(([x, y]) => `${x},${y}`).join(' ')} vector-effect="non-scaling-stroke" onClick={() => setZone(z)} />
          ))}
        </svg>
        {zones.map((z, i) => {
          const pts = edit[z] ?? [];
          const cx = pts.reduce((a, p) => a + p[0], 0) / Math.max(1, pts.length);
          const cy = pts.reduce((a, p) => a + p[1], 0) / Math.max(1, pts.length);
          return <span key={z} class={`ze-label z${i % 6}`} style={{ left: `${cx * 100}%`, top: `${cy * 100}%` }}>{z}</span>;
        })}
        {points.map(([x, y], i) => (
          <button key={i} type="button" class={`handle ${i === active ? 'on' : ''}`} style={{ left: `${x * 100}%`, top: `${y * 100}%` }}
            aria-label={t('zones.point', { n: i + 1, zone, x: fmt(x), y: fmt(y) })} disabled={!s.canWrite}
            onFocus={() => setActive(i)}
            onPointerDown={(e) => { e.preventDefault(); e.currentTarget.setPointerCapture(e.pointerId); drag.current = i; setActive(i); }}
            onPointerMove={(e) => { if (drag.current === i) { const p = pointAt(e); if (p) move(i, p); } }}
            onPointerUp={(e) => { drag.current = undefined; e.currentTarget.releasePointerCapture(e.pointerId); }}
            onKeyDown={(e) => {
              const d = e.shiftKey ? 0.05 : 0.005;
              const delta: Record<string, Point> = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] };
              const m = delta[e.key];
              if (m) { e.preventDefault(); move(i, [x + m[0], y + m[1]]); }
            }} />
        ))}
      </div>
      <p class="muted fineprint">{backdrop.note} {s.canWrite && <KeyHint text={t('zones.howTo')} />}</p>
      {s.canWrite && zone !== '' && (
        <div class="actions">
          <button type="button" onClick={() => {
            const a = points[active] ?? [0.5, 0.5];
            const b = points[(active + 1) % points.length] ?? a;
            setPoints([...points.slice(0, active + 1), [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2], ...points.slice(active + 1)]);
          }}>{t('zones.addPoint')}</button>
          <button type="button" disabled={points.length <= 3} onClick={() => { setPoints(points.filter((_, j) => j !== active)); setActive(0); }}>{t('zones.removePoint')}</button>
          <button type="button" disabled={dirty.size === 0} onClick={() => setReload((n) => n + 1)}>{t('zones.reset')}</button>
          <button type="button" class="primary" disabled={dirty.size === 0 || saving} onClick={() => void save()}>{saving ? t('common.saving') : t('zones.save')}</button>
        </div>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
