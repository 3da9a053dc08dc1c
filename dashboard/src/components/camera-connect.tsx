// Finding a camera on the store network (ONVIF discovery through the API: found cameras are listed, never contacted)
// and testing the connection: one fresh picture (faces blurred) through the saved settings, or the problem in words.
import { useState } from 'preact/hooks';
import type { Camera } from '../../../services/api/schemas/camera.ts';
import type { ConnectionTest, Discovered } from '../../../services/api/schemas/camera-setup.ts';
import { api, seg } from '../api.ts';
import { t, tOr } from '../i18n/index.ts';
import { ErrorNote, ServerText } from './ui.tsx';

export function CameraFinder({ camera, onPick, disabled }: { camera: Camera; onPick: (host: string, port: number) => void; disabled: boolean }) {
  const [found, setFound] = useState<Discovered | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const find = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setFound(undefined);
    try {
      setFound(await api<Discovered>('POST', `/api/stores/${seg(camera.storeId)}/cameras/discover`, {}));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="camera-finder">
      <button type="button" disabled={disabled || busy} onClick={() => void find()}>{busy ? t('onboard.finding') : t('onboard.find')}</button>
      {found !== undefined && (
        <div class="found" role="status">
          {found.cameras.length === 0 && <p class="muted">{t('onboard.foundNone')}</p>}
          <ul class="rows">
            {found.cameras.map((c) => (
              <li key={c.urn} class="row">
                <span class="row-main">
                  <strong>{c.name ?? `${c.host}:${c.port}`}</strong>
                  <span class="muted">{[`${c.host}:${c.port}`, c.location, c.hardware].filter((x) => x !== null && x !== '').join(' · ')}{c.knownAs !== null && ` · ${t('onboard.foundKnown', { name: c.knownAs })}`}</span>
                </span>
                <button type="button" onClick={() => onPick(c.host, c.port)}>{t('onboard.use')}</button>
              </li>
            ))}
          </ul>
          {found.outside > 0 && <p class="muted">{t('onboard.foundOutside', { n: found.outside })}</p>}
        </div>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

/** "Test connection": `save` first stores what the form holds (false: the form said why it could not). */
export function ConnectionTester({ camera, save, disabled }: { camera: Camera; save: () => Promise<boolean>; disabled: boolean }) {
  const [result, setResult] = useState<ConnectionTest | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const base = `/api/stores/${seg(camera.storeId)}/cameras/${seg(camera.id)}`;
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      if (await save()) setResult(await api<ConnectionTest>('POST', `${base}/test`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="connection-test">
      <button type="button" disabled={disabled || busy} onClick={() => void run()}>{busy ? t('onboard.testing') : t('onboard.test')}</button>
      {busy && <p class="muted" role="status">{t('onboard.testing')}</p>}
      {result?.ok === true && (
        <div class="ok-note" role="status">
          <p>{t('onboard.testOk')}</p>
          <img class="test-picture" src={`${base}/snapshot.jpg?at=${encodeURIComponent(result.snapshotAt ?? '')}`} alt={t('onboard.testPictureAlt', { camera: camera.name })} />
        </div>
      )}
      {result?.ok === false && <div class="error-note" role="alert"><p>{tOr(`onboard.problem.${result.problem ?? 'unreachable'}`, '') || <ServerText text={result.message ?? ''} />}</p></div>}
      <ErrorNote error={error} />
    </div>
  );
}
