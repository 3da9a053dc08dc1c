// What a shift digest says, built in one place: the notifier sends it at a shift's end, the dashboard shows it for a day.
import type { NotifySourceRepository, StoreClock } from '../core/storage/notify-sources.repository.ts';
import { formatLocal } from './local-time.ts';
import type { NotificationMessage } from './message.ts';

export type DigestMessage = Extract<NotificationMessage, { type: 'digest' }>;

/** The digest of one store over [startMs, endMs): counts by severity and rule, awaiting review, held back (never shadow rules). */
export async function digestMessage(
  sources: NotifySourceRepository, store: StoreClock, window: { startMs: number; endMs: number }, dashboardUrl?: string,
): Promise<DigestMessage> {
  const summary = await sources.shiftSummary(store.id, window.startMs, window.endMs);
  const base = dashboardUrl?.replace(/\/+$/, '');
  return {
    type: 'digest', storeId: store.id, storeName: store.name,
    shiftStartIso: new Date(window.startMs).toISOString(), shiftEndIso: new Date(window.endMs).toISOString(),
    shiftLabel: formatLocal(window.endMs, store.tz), summary,
    ...(base === undefined ? {} : { link: `${base}/stores/${encodeURIComponent(store.id)}/violations` }),
  };
}
