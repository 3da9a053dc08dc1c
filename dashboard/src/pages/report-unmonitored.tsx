// Live camera time nobody watched, per day, store and camera: shown as such, never as compliant time.
import type { Static } from '@sinclair/typebox';
import type { NotMonitoredRow } from '../../../services/api/schemas/report.ts';
import { locale, t } from '../i18n/index.ts';
import { shortDay, span } from '../lib/format.ts';

export type NotMonitored = Static<typeof NotMonitoredRow>;

export const duration = (seconds: number): string => span(seconds, { s: t('unit.s'), min: t('unit.min'), h: t('unit.h') });

export function UnmonitoredTable({ rows, multiStore, liveCameras }: { rows: NotMonitored[]; multiStore: boolean; liveCameras: number }) {
  const sorted = [...rows].filter((r) => r.seconds > 0)
    .sort((a, b) => a.day.localeCompare(b.day) || a.storeName.localeCompare(b.storeName) || b.seconds - a.seconds);
  return (
    <section class="card" aria-labelledby="not-monitored">
      <h2 id="not-monitored">{t('report.notMonitoredTitle')}</h2>
      {sorted.length === 0 ? <p class="muted">{t(liveCameras === 0 ? 'words.noLiveCameras' : 'report.notMonitoredNone')}</p> : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">{t('report.day')}</th>
              {multiStore && <th scope="col">{t('alert.store')}</th>}
              <th scope="col">{t('alert.camera')}</th>
              <th scope="col">{t('report.notMonitoredTime')}</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={`${r.day}|${r.storeId}|${r.cameraId}`}>
                <td>{shortDay(r.day, locale)}</td>
                {multiStore && <td data-user-text="">{r.storeName}</td>}
                <td>{r.cameraName === null ? <span class="muted">{t('report.deletedCamera')}</span> : <span data-user-text="">{r.cameraName}</span>}</td>
                <td class="warn">{duration(r.seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted fineprint">{t('report.notMonitoredNote')}</p>
    </section>
  );
}
