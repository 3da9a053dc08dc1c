// What a rule in shadow mode would have done on the store's cameras (pure): alerts it would have sent, and how people judged them.

import type { ShadowRow } from '../core/storage/shadow-report.repository.ts';

/** One store-local day of a shadow rule: the repository's row (type only: this module stays pure). */
export type ShadowDayRow = ShadowRow;

export interface ShadowRule extends Omit<ShadowDayRow, 'day'> {
  /** Local days with at least one. */
  days: number;
  /** Alerts per day over the period's days. */
  perDay: number;
  decided: number;
  /** confirmed / decided: how often the alerts it would have sent were right; null before any decision. */
  precision: number | null;
}

/** Sums the day rows that fall from `from` to `to` (store-local days) per store, SOP and rule. */
export function shadowSummary(rows: readonly ShadowDayRow[], from: string, to: string): ShadowRule[] {
  const periodDays = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  const sums = new Map<string, ShadowRule>();
  for (const r of rows) {
    if (r.day < from || r.day > to) continue;
    const key = JSON.stringify([r.storeId, r.sopId, r.rule]);
    const s = sums.get(key) ?? {
      storeId: r.storeId, storeName: r.storeName, sopId: r.sopId, rule: r.rule,
      wouldHaveAlerted: 0, onLiveCameras: 0, open: 0, needsReview: 0, confirmed: 0, dismissed: 0, days: 0, perDay: 0, decided: 0, precision: null,
    };
    s.wouldHaveAlerted += r.wouldHaveAlerted; s.onLiveCameras += r.onLiveCameras; s.open += r.open; s.needsReview += r.needsReview;
    s.confirmed += r.confirmed; s.dismissed += r.dismissed; s.days += 1;
    sums.set(key, s);
  }
  return [...sums.values()]
    .map((s) => {
      const decided = s.confirmed + s.dismissed;
      return { ...s, decided, perDay: Math.round((s.wouldHaveAlerted / periodDays) * 100) / 100, precision: decided === 0 ? null : Math.round((s.confirmed / decided) * 1000) / 1000 };
    })
    .sort((a, b) => a.storeName.localeCompare(b.storeName) || a.sopId.localeCompare(b.sopId) || a.rule.localeCompare(b.rule));
}
