// The seconds around an alert as video (faces blurred by the server in every frame), starting where the alert starts,
// with the rule's zones and the persons seen drawable on top; says plainly why when there is no video. The video is
// asked for when the person wants it: the first time, every frame goes through the face detector (seconds of CPU on a
// small server), which a glance at an alert should not cost.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { VideoMeta, VideoReason } from '../../../services/api/schemas/video.ts';
import { ApiError, api } from '../api.ts';
import { t, type Key } from '../i18n/index.ts';

const REASON_KEY: Record<VideoReason, Key> = {
  turned_off: 'video.turnedOff',
  not_kept: 'video.notKept',
  clip_deleted: 'video.clipDeleted',
  face_not_blurred: 'video.faceNotBlurred',
};

function reasonOf(err: unknown): Key {
  if (err instanceof ApiError && err.code === 'video_unavailable') {
    const reason = (err.details as { reason?: VideoReason } | undefined)?.reason;
    if (reason !== undefined && reason in REASON_KEY) return REASON_KEY[reason];
  }
  return 'video.failed';
}

/** The persons of the frame shown at `time` (the newest frame at or before it). */
function boxesAt(meta: VideoMeta, time: number): VideoMeta['frames'][number]['boxes'] {
  let found: VideoMeta['frames'][number] | undefined;
  for (const f of meta.frames) if (f.t <= time + 1e-3) found = f;
  return found?.boxes ?? [];
}

/** `base`: the video's URL (`/api/violations/<id>/video`); its sidecar is `<base>/meta`. */
export function MomentVideo({ base, title }: { base: string; title: string }) {
  const [wanted, setWanted] = useState(false);
  const [meta, setMeta] = useState<VideoMeta | undefined>(undefined);
  const [problem, setProblem] = useState<Key | undefined>(undefined);
  const [overlay, setOverlay] = useState(true);
  const [time, setTime] = useState(0);
  const video = useRef<HTMLVideoElement | null>(null);

  useEffect(() => {
    setWanted(false);
  }, [base]);

  useEffect(() => {
    setMeta(undefined);
    setProblem(undefined);
    if (!wanted) return undefined;
    let live = true;
    api<VideoMeta>('GET', `${base}/meta`).then((m) => live && setMeta(m), (err: unknown) => live && setProblem(reasonOf(err)));
    return () => {
      live = false;
    };
  }, [base, wanted]);

  if (!wanted) {
    return (
      <p class="video-ask">
        <button type="button" onClick={(e) => { e.stopPropagation(); setWanted(true); }}>{t('video.show')}</button>
      </p>
    );
  }
  if (problem !== undefined) return <p class="notice video-none" role="status">{t(problem)}</p>;
  if (meta === undefined) return <p class="muted video-wait" role="status">{t('video.preparing')}</p>;

  const startAtAlert = (): void => {
    const v = video.current;
    if (v === null) return;
    if (meta.alertStartS > 0 && v.currentTime < meta.alertStartS) v.currentTime = meta.alertStartS;
    // Asked for with a click: play at once (muted, so the browser allows it).
    void v.play().catch(() => undefined);
  };
  const zones = Object.entries(meta.zones);
  return (
    <figure class="moment-video">
      <div class="video-frame" style={{ aspectRatio: `${meta.width} / ${meta.height}`, maxWidth: `calc(min(62vh, 520px) * ${meta.width / Math.max(1, meta.height)})` }}>
        <video ref={video} src={base} controls playsInline muted preload="auto" aria-label={t('video.label', { rule: title })}
          onLoadedMetadata={startAtAlert} onTimeUpdate={(e) => setTime(e.currentTarget.currentTime)} onSeeked={(e) => setTime(e.currentTarget.currentTime)} />
        {overlay && (
          <svg class="video-overlay" viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
            {zones.map(([name, poly]) => <polygon key={name} class="zone" points={poly.map(([x, y]) => `${x},${y}`).join(' ')} />)}
            {boxesAt(meta, time).map(([x, y, w, h], i) => <rect key={i} class="subject" x={x} y={y} width={w} height={h} />)}
          </svg>
        )}
      </div>
      <figcaption class="muted video-caption">
        <label class="video-toggle"><input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.currentTarget.checked)} /> {t('video.overlay')}</label>
        <span>{t('video.blurred')}</span>
      </figcaption>
    </figure>
  );
}
