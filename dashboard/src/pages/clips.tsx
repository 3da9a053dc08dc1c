// Clips: upload one (resumable: progress survives a reload; then analysis progress, live), the list of clips, and one
// clip's timeline.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Clip } from '../../../services/api/schemas/clip.ts';
import { api, qs, rememberedUploads, seg, unfinishedUpload, uploadClip, type UnfinishedUpload, type Upload } from '../api.ts';
import { lang, locale, t } from '../i18n/index.ts';
import { ago, bytes, percent } from '../lib/format.ts';
import { useLive } from '../live.ts';
import { href, navigate, onLink, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { Empty, ErrorNote, Loading, Progress, StatusBadge, serverSaid } from '../components/ui.tsx';
import { ClipDetail } from './clip-detail.tsx';
import { NextStep } from '../components/next-step.tsx';

type Stage =
  | { kind: 'idle' }
  | { kind: 'uploading'; name: string; fraction: number; sent: number; total: number }
  | { kind: 'analysing'; clip: Clip }
  | { kind: 'done'; clip: Clip; violations: number }
  | { kind: 'failed'; clip?: Clip; error: unknown };

const POLL_MS = 4_000;

function UploadCard({ onUploaded }: { onUploaded: (c: Clip) => void }) {
  const s = useSession();
  const cameras = s.session.cameras.filter((c) => s.scope.some((st) => st.id === c.storeId));
  const [cameraId, setCameraId] = useState(cameras[0]?.id ?? '');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [stage, setStage] = useState<Stage>({ kind: 'idle' });
  const upload = useRef<Upload | undefined>(undefined);
  const [dragging, setDragging] = useState(false);
  const [recordedAt, setRecordedAt] = useState('');
  const [resume, setResume] = useState<UnfinishedUpload | undefined>(undefined);
  const [remembered] = useState(() => rememberedUploads());

  useEffect(() => {
    if (!cameras.some((c) => c.id === cameraId)) setCameraId(cameras[0]?.id ?? '');
  }, [s.session.storeId]);

  const watching = stage.kind === 'analysing' ? stage.clip.id : undefined;
  const settle = (clip: Clip): void => {
    if (clip.status === 'done') {
      void api<unknown[]>('GET', `/api/violations${qs({ clipId: clip.id, limit: 500 })}`).then((v) => setStage({ kind: 'done', clip, violations: v.length }), () => setStage({ kind: 'done', clip, violations: 0 }));
    } else if (clip.status === 'failed') setStage({ kind: 'failed', clip, error: new Error(clip.error === null ? t('clips.failed') : lang === 'en' ? clip.error : `${t('clips.failed')} ${serverSaid(clip.error)}`) });
    else setStage({ kind: 'analysing', clip });
  };
  useLive((e) => {
    if (e.type === 'clip.progress' && e.data.clipId === watching && stage.kind === 'analysing') {
      settle({ ...stage.clip, status: e.data.status, progress: e.data.progress });
    }
  });
  // Events can be missed while the stream reconnects: a slow poll keeps the bar honest.
  useEffect(() => {
    if (watching === undefined) return;
    const timer = setInterval(() => void api<Clip>('GET', `/api/clips/${seg(watching)}`).then(settle, () => undefined), POLL_MS);
    return () => clearInterval(timer);
  }, [watching]);

  const camera = cameras.find((c) => c.id === cameraId);
  // A file chosen again after a reload (or a dropped upload): does the server still hold part of it?
  useEffect(() => {
    setResume(undefined);
    if (file === undefined || camera === undefined) return;
    let current = true;
    void unfinishedUpload(camera.storeId, camera.id, file).then((found) => current && setResume(found), () => undefined);
    return () => { current = false; };
  }, [file, cameraId]);

  const begin = (from: UnfinishedUpload | undefined): void => {
    if (file === undefined || camera === undefined) return;
    const size = file.size;
    const already = from?.offset ?? 0;
    setStage({ kind: 'uploading', name: file.name, fraction: size === 0 ? 0 : already / size, sent: already, total: size });
    upload.current = uploadClip(camera.storeId, camera.id, file, recordedAt, (fraction, sent, total) => setStage({ kind: 'uploading', name: file.name, fraction, sent, total }), from);
    upload.current.done.then((clipId) => api<Clip>('GET', `/api/clips/${seg(clipId)}`)).then((clip) => {
      onUploaded(clip);
      setFile(undefined);
      setResume(undefined);
      settle(clip);
    }, (err: unknown) => setStage({ kind: 'failed', error: err }));
  };
  const start = (e: Event): void => {
    e.preventDefault();
    begin(undefined);
  };
  const tz = camera === undefined ? undefined : s.storeTz(camera.storeId);
  const busy = stage.kind === 'uploading';

  if (!s.canWrite) return null;
  return (
    <section class="card upload" aria-labelledby="upload-title">
      <h2 id="upload-title">{t('clips.uploadTitle')}</h2>
      {cameras.length === 0 ? <p class="muted">{t('clips.noCameras')}</p> : (
        <form onSubmit={start} class="upload-form">
          <label class="field">
            <span>{t('clips.camera')}</span>
            <select value={cameraId} onChange={(e) => setCameraId(e.currentTarget.value)}>
              {cameras.map((c) => <option key={c.id} value={c.id}>{s.session.stores.length > 1 ? `${s.storeName(c.storeId)} — ${c.name}` : c.name}</option>)}
            </select>
          </label>
          <label class={`drop ${dragging ? 'dragging' : ''}`}
            onDragOver={(e) => { e.preventDefault(); setDragging(true); }} onDragLeave={() => setDragging(false)}
            onDrop={(e) => { e.preventDefault(); setDragging(false); const f = e.dataTransfer?.files[0]; if (f) setFile(f); }}>
            <input type="file" accept="video/*,image/gif,.mp4,.m4v,.mov,.mkv,.webm,.gif,.avi,.ts,.mts,.m2ts,.mpg,.mpeg,.ps,.vob,.dav,.h264,.264,.h265,.265,.hevc,.flv" onChange={(e) => setFile(e.currentTarget.files?.[0])} />
            <span>{file === undefined ? t('clips.choose') : `${file.name} · ${bytes(file.size, locale)}`}</span>
          </label>
          <label class="field">
            <span>{t('upload.recordedAt')}</span>
            <input type="datetime-local" step={1} value={recordedAt} onInput={(e) => setRecordedAt(e.currentTarget.value)} aria-describedby="recorded-at-hint" />
            <small id="recorded-at-hint" class="muted">{t('upload.recordedAtHint', { tz: tz ?? 'UTC' })}</small>
          </label>
          {resume !== undefined && !busy && <p class="resume-note">{t('upload.resumable', { pct: percent(resume.offset / resume.size, locale) })}</p>}
          {resume !== undefined && !busy ? (
            <div class="actions">
              <button class="primary" type="button" onClick={() => begin(resume)}>{t('upload.resume', { pct: percent(resume.offset / resume.size, locale) })}</button>
              <button type="submit">{t('upload.restart')}</button>
            </div>
          ) : <button class="primary" type="submit" disabled={file === undefined || busy}>{t('clips.upload')}</button>}
        </form>
      )}
      {remembered.length > 0 && file === undefined && stage.kind === 'idle' && (
        <ul class="muted remembered">{remembered.map((r) => <li key={`${r.name}-${r.size}`}>{t('upload.remembered', { name: r.name, size: bytes(r.size, locale) })}</li>)}</ul>
      )}
      {stage.kind === 'uploading' && (
        <div class="stage">
          <p>{t('clips.uploading', { name: stage.name, pct: percent(stage.fraction, locale), sent: bytes(stage.sent, locale), total: bytes(stage.total, locale) })}</p>
          <Progress value={stage.fraction} label={t('clips.uploadProgress')} tone="busy" />
          <button type="button" class="link" onClick={() => upload.current?.abort()}>{t('common.cancel')}</button>
        </div>
      )}
      {stage.kind === 'analysing' && (
        <div class="stage">
          <p>{stage.clip.status === 'accepted' ? t('clips.queued') : stage.clip.arrival?.state === 'arriving'
            ? t('clips.analysingArrived', { pct: percent(stage.clip.progress, locale), received: bytes(stage.clip.arrival.receivedBytes, locale), total: bytes(stage.clip.arrival.totalBytes, locale) })
            : t('clips.analysing', { pct: percent(stage.clip.progress, locale) })}</p>
          <Progress value={stage.clip.progress} label={t('clips.analysisProgress')} tone="busy" />
        </div>
      )}
      {stage.kind === 'done' && (
        <div class="stage done">
          <Progress value={1} label={t('clips.analysisProgress')} tone="done" />
          <p>{stage.violations === 0 ? t('clips.doneNone') : t('clips.doneSome', { n: stage.violations })}{' '}
            <a href={href('/clips', { clip: stage.clip.id })} onClick={onLink}>{t('clips.openTimeline')}</a></p>
        </div>
      )}
      {stage.kind === 'failed' && <ErrorNote error={stage.error} />}
    </section>
  );
}

export function Clips() {
  const s = useSession();
  const route = useRoute();
  const clipId = route.query.get('clip') ?? undefined;
  const [clips, setClips] = useState<Clip[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    setError(undefined);
    api<Clip[]>('GET', `/api/clips${qs({ storeId: s.session.storeId, limit: 100 })}`).then(setClips, setError);
  }, [s.session.storeId]);

  useLive((e) => {
    if (e.type !== 'clip.progress') return;
    setClips((old) => old?.map((c) => (c.id === e.data.clipId ? { ...c, status: e.data.status, progress: e.data.progress } : c)));
  });

  if (clipId !== undefined) return <ClipDetail clipId={clipId} />;
  return (
    <main class="page" id="main">
      <header class="page-head"><h1>{t('nav.clips')}</h1><p class="lead">{t('clips.lead')}</p></header>
      <UploadCard onUploaded={(c) => setClips((old) => [c, ...(old ?? []).filter((x) => x.id !== c.id)])} />
      <section aria-labelledby="clips-list">
        <h2 id="clips-list">{t('clips.listTitle')}</h2>
        <ErrorNote error={error} />
        {clips === undefined && error === undefined && <Loading />}
        {clips !== undefined && clips.length === 0 && <Empty title={t('clips.empty')}><NextStep watchingHint={false} /></Empty>}
        {clips !== undefined && clips.length > 0 && (
          <ul class="rows">
            {clips.map((c) => (
              <li key={c.id}>
                <a class="row" href={href('/clips', { clip: c.id })} onClick={onLink}>
                  <span class="row-main"><strong>{c.filename}</strong><span class="muted">{c.cameraId === null ? '—' : s.cameraName(c.cameraId)} · {bytes(c.bytes, locale)} · {ago(c.createdAt, Date.now(), locale)}</span></span>
                  <span class="row-side">
                    {c.status === 'analysing' ? <Progress value={c.progress} label={t('clips.rowProgress', { name: c.filename })} tone="busy" /> : null}
                    <StatusBadge status={`clip-${c.status}`} />
                  </span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}

export const openClip = (id: string): void => navigate('/clips', { clip: id });
