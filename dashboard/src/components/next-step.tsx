// What a page with nothing to show says: the next step of setting a store up (add a camera, pick an SOP from the
// library), or, once both exist, what is being watched.
import { useEffect, useState } from 'preact/hooks';
import type { SopFile } from '../../../services/api/schemas/sop-file.ts';
import { api, seg } from '../api.ts';
import { t } from '../i18n/index.ts';
import { href, onLink } from '../router.ts';
import { useSession } from '../session.tsx';

/** The SOP files in force in the stores in scope (undefined while loading). */
function useEnabledSops(): SopFile[] | undefined {
  const s = useSession();
  const [files, setFiles] = useState<SopFile[] | undefined>(undefined);
  useEffect(() => {
    Promise.all(s.scope.map((st) => api<SopFile[]>('GET', `/api/stores/${seg(st.id)}/sops`)))
      .then((lists) => setFiles(lists.flat().filter((f) => f.enabled)), () => setFiles([]));
  }, [s.scope.map((st) => st.id).join()]);
  return files;
}

export function NextStep({ watchingHint = true }: { watchingHint?: boolean }) {
  const s = useSession();
  const sops = useEnabledSops();
  const cameras = s.session.cameras.filter((c) => s.scope.some((st) => st.id === c.storeId));
  if (cameras.length === 0) {
    return <p class="next-step">{t('onboard.next.noCameras')} {s.canWrite && <a class="button primary" href={href('/cameras', { add: '1' })} onClick={onLink}>{t('onboard.addCamera')}</a>}</p>;
  }
  if (sops === undefined) return null;
  if (sops.length === 0) {
    return <p class="next-step">{t('onboard.next.noSops')} {s.canWrite && <a class="button primary" href={href('/sops', { gallery: '1' })} onClick={onLink}>{t('onboard.fromGallery')}</a>}</p>;
  }
  if (!watchingHint) return null;
  const titles = [...new Set(sops.map((f) => f.title))].join(', ');
  return (
    <p class="next-step">
      {t('onboard.next.watching', { cameras: cameras.length, sops: sops.length, titles })}{' '}
      {s.canWrite && <a href="/clips" onClick={onLink}>{t('onboard.next.uploadClip')}</a>}
    </p>
  );
}
