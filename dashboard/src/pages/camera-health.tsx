// Live health of the cameras as their worker last reported it: one status line per camera and the figures behind it.
import { useEffect, useState } from 'preact/hooks';
import type { Camera } from '../../../services/api/schemas/camera.ts';
import { api, seg } from '../api.ts';
import { locale, t, tOr } from '../i18n/index.ts';
import { ago, dateTime } from '../lib/format.ts';
import { ServerText } from '../components/ui.tsx';

const REFRESH_MS = 15_000;

/**
 * The fields of `CameraHealth` (services/api/schemas/camera-health.ts) this page reads. Written out because that
 * schema imports the live worker's Node-only config module, which the browser build cannot type-check.
 */
export interface CameraHealth {
  cameraId: string;
  state: string;
  since: string | null;
  expectedFps: number | null;
  fpsIn: number | null;
  fpsOut: number | null;
  dropped: number | null;
  reconnectsLastHour: number | null;
  stallsLastHour: number | null;
  lastFrameAt: string | null;
  /** unreachable, wrong_password, not_a_camera, address_not_allowed; null while online. */
  problem: string | null;
  /** The API's advice in English, shown when this dashboard has no translation for the problem. */
  lastError: string | null;
  grade: string | null;
  notMonitored: Array<{ startAt: string; endAt: string | null; reason: string }>;
}

/** Health of every camera of the stores shown, refreshed while the page is open; a store that fails is left out. */
export function useHealth(storeIds: string[]): Map<string, CameraHealth> {
  const [map, setMap] = useState(new Map<string, CameraHealth>());
  const key = storeIds.join();
  useEffect(() => {
    let live = true;
    const load = (): void => {
      void Promise.all(storeIds.map((id) => api<CameraHealth[]>('GET', `/api/stores/${seg(id)}/cameras/health`).catch(() => [])))
        .then((lists) => { if (live) setMap(new Map(lists.flat().map((h) => [h.cameraId, h]))); });
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => { live = false; clearInterval(timer); };
  }, [key]);
  return map;
}

export type Tone = 'online' | 'offline' | 'gap' | 'idle';

/** The span still open, if the camera is not being watched right now. */
const openGap = (h: CameraHealth) => h.notMonitored.find((g) => g.endAt === null);

export function healthTone(h: CameraHealth | undefined): Tone {
  if (h === undefined || (h.state === 'unknown' && h.notMonitored.length === 0)) return 'idle';
  if (openGap(h) !== undefined) return 'gap';
  return h.state === 'online' ? 'online' : h.state === 'starting' ? 'idle' : 'offline';
}

/** One line for the camera list: online (quality), offline, or not monitored since when. */
export function healthLine(h: CameraHealth | undefined, nowMs: number, tz: string | undefined): string | undefined {
  if (h === undefined) return undefined;
  const gap = openGap(h);
  if (gap !== undefined) return t('health.notMonitoredSince', { when: dateTime(gap.startAt, locale, tz) });
  const grade = h.grade === null ? '' : ` · ${tOr(`health.grade.${h.grade}`, h.grade)}`;
  if (h.state === 'online') return `${t('health.online')}${grade}`;
  if (h.state === 'unknown') return h.notMonitored.length > 0 ? t('health.notWatched') : undefined;
  return `${tOr(`health.state.${h.state}`, h.state)}${h.since === null ? '' : ` · ${ago(h.since, nowMs, locale)}`}`;
}

const num = (n: number | null, digits = 0): string => (n === null ? '–' : n.toLocaleString(locale, { maximumFractionDigits: digits }));

export function HealthFacts({ camera, h, tz }: { camera: Camera; h: CameraHealth | undefined; tz: string | undefined }) {
  if (h === undefined || (h.state === 'unknown' && h.notMonitored.length === 0)) {
    return <p class="muted">{camera.host === null ? t('cameras.uploadsOnly') : t('health.noReport')}</p>;
  }
  return (
    <section class="camera-health" aria-label={t('health.title')}>
      <dl class="facts">
        <div><dt>{t('health.stateLabel')}</dt><dd>{tOr(`health.state.${h.state}`, h.state)}{h.grade !== null && <> · {tOr(`health.grade.${h.grade}`, h.grade)}</>}</dd></div>
        <div><dt>{t('health.fps')}</dt><dd>{num(h.fpsIn, 1)} / {num(h.fpsOut, 1)}{h.expectedFps !== null && <span class="muted"> ({num(h.expectedFps, 1)})</span>}</dd></div>
        <div><dt>{t('health.dropped')}</dt><dd>{num(h.dropped)}</dd></div>
        <div><dt>{t('health.reconnects')}</dt><dd>{num(h.reconnectsLastHour)} · {t('health.stalls')} {num(h.stallsLastHour)}</dd></div>
        <div><dt>{t('health.lastFrame')}</dt><dd>{h.lastFrameAt === null ? '–' : dateTime(h.lastFrameAt, locale, tz)}</dd></div>
        {h.problem !== null && <div><dt>{t('health.lastError')}</dt><dd>{tOr(`health.problem.${h.problem}`, '') || <ServerText text={h.lastError ?? h.problem} />}</dd></div>}
      </dl>
      {h.notMonitored.length > 0 && (
        <>
          <h3>{t('health.gapsTitle')}</h3>
          <ul class="gaps">
            {h.notMonitored.map((g) => (
              <li key={g.startAt}>
                {dateTime(g.startAt, locale, tz)} – {g.endAt === null ? t('health.now') : dateTime(g.endAt, locale, tz)}: <span class="muted"><ServerText text={g.reason} /></span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
