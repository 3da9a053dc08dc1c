// Adding a camera from the dashboard: the store (asked, never guessed, when several are in scope) and a name. The
// address, credentials and a connection test come next, in the camera's stream settings.
import { useState } from 'preact/hooks';
import type { Camera } from '../../../services/api/schemas/camera.ts';
import { api, seg } from '../api.ts';
import { t } from '../i18n/index.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { ErrorNote, toast } from './ui.tsx';

/** A store select with no default when there are several: the person must choose. */
export function StorePicker({ value, onChange, label }: { value: string; onChange: (id: string) => void; label?: string }) {
  const s = useSession();
  return (
    <label class="field"><span>{label ?? t('onboard.store')}</span>
      <select name="store" required value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="" disabled>{t('onboard.pickStore')}</option>
        {s.scope.map((st) => <option key={st.id} value={st.id}>{st.name}</option>)}
      </select>
    </label>
  );
}

export function CameraAdd({ onCancel }: { onCancel: () => void }) {
  const s = useSession();
  const [storeId, setStoreId] = useState(s.scope.length === 1 ? (s.scope[0]?.id ?? '') : '');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const add = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (storeId === '') return setError(t('onboard.storeRequired'));
    setBusy(true);
    setError(undefined);
    try {
      const camera = await api<Camera>('POST', `/api/stores/${seg(storeId)}/cameras`, { name: name.trim() });
      s.addCamera(camera);
      toast(t('onboard.added', { name: camera.name }), 'ok');
      navigate('/cameras', { camera: camera.id });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card camera-add" aria-label={t('onboard.addCamera')} onSubmit={(e) => void add(e)} autocomplete="off">
      <h2>{t('onboard.addCamera')}</h2>
      <p class="muted">{t('onboard.addCameraLead')}</p>
      <fieldset disabled={busy}>
        {s.scope.length > 1 && <StorePicker value={storeId} onChange={setStoreId} />}
        <label class="field"><span>{t('onboard.cameraName')}</span>
          <input name="cameraName" required maxLength={100} pattern="[A-Za-z0-9][A-Za-z0-9_\-]*" placeholder={t('onboard.cameraNameHint')} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">{t('onboard.add')}</button>
          <button type="button" class="link" onClick={onCancel}>{t('common.cancel')}</button>
        </div>
      </fieldset>
      <ErrorNote error={error} />
    </form>
  );
}
