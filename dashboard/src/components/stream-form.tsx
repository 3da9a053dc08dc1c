// How the worker reaches a camera: host, source, URLs and the camera account. The password is write-only: the form
// never shows it (the API answers `hasPassword` only); leaving it empty keeps the stored one, while the host stays.
import { useEffect, useState } from 'preact/hooks';
import type { Camera } from '../../../services/api/schemas/camera.ts';
import type { StreamSettings, StreamSettingsBody } from '../../../services/api/schemas/camera-health.ts';
import { api, seg } from '../api.ts';
import { t } from '../i18n/index.ts';
import { useSession } from '../session.tsx';
import { CameraFinder, ConnectionTester } from './camera-connect.tsx';
import { ErrorNote, toast } from './ui.tsx';

type Source = StreamSettings['source'];

export function StreamForm({ camera, canWrite }: { camera: Camera; canWrite: boolean }) {
  const session = useSession();
  const url = `/api/stores/${seg(camera.storeId)}/cameras/${seg(camera.id)}/stream`;
  const [saved, setSaved] = useState<StreamSettings | undefined>(undefined);
  const [host, setHost] = useState('');
  const [onvifPort, setOnvifPort] = useState('');
  const [source, setSource] = useState<Source>('auto');
  const [rtspUrl, setRtspUrl] = useState('');
  const [snapshotUrl, setSnapshotUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [removePassword, setRemovePassword] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const show = (s: StreamSettings): void => {
    setSaved(s);
    setHost(s.host ?? '');
    setOnvifPort(String(s.onvifPort));
    setSource(s.source);
    setRtspUrl(s.rtspUrl ?? '');
    setSnapshotUrl(s.snapshotUrl ?? '');
    setUsername(s.username ?? '');
    setPassword('');
    setRemovePassword(false);
  };
  useEffect(() => {
    setSaved(undefined);
    api<StreamSettings>('GET', url).then(show, setError);
  }, [url]);

  /** Stores what the form holds; false when it could not (the error is shown). */
  const persist = async (): Promise<boolean> => {
    if (saved === undefined) return false;
    const { hasPassword: _has, host: _host, rtspUrl: _r, snapshotUrl: _s, username: _u, ...rest } = saved;
    const port = Number(onvifPort);
    const body: StreamSettingsBody = {
      ...rest, host: host.trim() === '' ? null : host.trim(), source,
      ...(Number.isInteger(port) && port >= 1 && port <= 65535 ? { onvifPort: port } : {}),
      ...(rtspUrl.trim() === '' ? {} : { rtspUrl: rtspUrl.trim() }),
      ...(snapshotUrl.trim() === '' ? {} : { snapshotUrl: snapshotUrl.trim() }),
      ...(username.trim() === '' ? {} : { username: username.trim() }),
      ...(removePassword ? { password: null } : password === '' ? {} : { password }),
    };
    setBusy(true);
    setError(undefined);
    try {
      const next = await api<StreamSettings>('PUT', url, body);
      show(next);
      // The camera list shows the new address (or "uploads only") without a reload.
      if (next.host !== camera.host) session.addCamera({ ...camera, host: next.host });
      toast(t('stream.saved'), 'ok');
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      // The typed password is never kept in the page once sent, whatever the answer.
      setPassword('');
      setBusy(false);
    }
  };
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    await persist();
  };

  if (saved === undefined) return error === undefined ? null : <ErrorNote error={error} />;
  return (
    <form class="stream-form" onSubmit={(e) => void save(e)} aria-label={t('stream.title')} autocomplete="off">
      <h3>{t('stream.title')}</h3>
      {saved.host === null && <p class="notice">{t('onboard.uploadOnlyNote')}</p>}
      <fieldset disabled={!canWrite || busy}>
        {canWrite && <CameraFinder camera={camera} disabled={busy} onPick={(h, p) => { setHost(h); setOnvifPort(String(p)); }} />}
        <label class="field"><span>{t('stream.host')}</span><input name="host" value={host} maxLength={255} placeholder={t('stream.hostHint')} onInput={(e) => setHost(e.currentTarget.value)} /></label>
        <label class="field"><span>{t('onboard.onvifPort')}</span><input name="onvifPort" inputMode="numeric" value={onvifPort} maxLength={5} onInput={(e) => setOnvifPort(e.currentTarget.value)} /></label>
        <label class="field"><span>{t('stream.source')}</span>
          <select name="source" value={source} onChange={(e) => setSource(e.currentTarget.value as Source)}>
            {(['auto', 'rtsp', 'snapshot'] as const).map((s) => <option key={s} value={s}>{t(`stream.source.${s}`)}</option>)}
          </select>
        </label>
        <label class="field"><span>{t('stream.rtspUrl')}</span><input name="rtspUrl" value={rtspUrl} placeholder="rtsp://192.168.1.20:554/sub" onInput={(e) => setRtspUrl(e.currentTarget.value)} /></label>
        <label class="field"><span>{t('stream.snapshotUrl')}</span><input name="snapshotUrl" value={snapshotUrl} placeholder="http://192.168.1.20/snap.jpg" onInput={(e) => setSnapshotUrl(e.currentTarget.value)} /></label>
        <label class="field"><span>{t('stream.username')}</span><input name="username" value={username} maxLength={128} autocomplete="off" onInput={(e) => setUsername(e.currentTarget.value)} /></label>
        <label class="field"><span>{t('stream.password')}</span>
          <input name="password" type="password" value={password} maxLength={256} autocomplete="new-password" disabled={removePassword}
            placeholder={saved.hasPassword ? t('stream.passwordKept') : t('stream.passwordNone')} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {saved.hasPassword && (
          <label class="radio"><input type="checkbox" name="removePassword" checked={removePassword} onChange={(e) => setRemovePassword(e.currentTarget.checked)} /> {t('stream.removePassword')}</label>
        )}
        <p class="muted">{t('stream.passwordNote')}</p>
        {canWrite && <div class="actions"><button type="submit" class="primary">{t('stream.save')}</button></div>}
      </fieldset>
      {canWrite && <ConnectionTester camera={camera} save={persist} disabled={busy} />}
      <ErrorNote error={error} />
    </form>
  );
}
