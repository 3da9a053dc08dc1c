// Turns compliance rows (violations per store, local day, SOP and rule) into what the report charts draw. Pure.
import type { Static } from '@sinclair/typebox';
import type { ComplianceRow as ComplianceRowSchema } from '../../../services/api/schemas/report.ts';

/** A row of `GET /api/reports/compliance`, typed from the API's own schema. */
export type ComplianceRow = Static<typeof ComplianceRowSchema>;

export interface Tally {
  violations: number;
  open: number;
  needsReview: number;
  confirmed: number;
  dismissed: number;
  high: number;
}

export interface DayBar extends Tally {
  day: string;
  /** False: no footage was analysed that day, so a zero is "not watched", not "compliant". */
  monitored: boolean;
}

export interface RuleBar extends Tally {
  sopId: string;
  rule: string;
  title: string | null;
  titleZh: string | null;
  /** Dismissed over decided-or-pending violations; null when there were none. */
  dismissedShare: number | null;
}

export interface StoreColumn extends Tally {
  storeId: string;
  storeName: string;
  dismissedShare: number | null;
  days: DayBar[];
  monitoredDays: number;
}

const zero = (): Tally => ({ violations: 0, open: 0, needsReview: 0, confirmed: 0, dismissed: 0, high: 0 });

function add(into: Tally, r: Tally): void {
  into.violations += r.violations;
  into.open += r.open;
  into.needsReview += r.needsReview;
  into.confirmed += r.confirmed;
  into.dismissed += r.dismissed;
  into.high += r.high;
}

const share = (t: Tally): number | null => (t.violations === 0 ? null : t.dismissed / t.violations);

/**
 * `monitored` holds `storeId|day` keys of days with analysed footage. A day with violations was watched whatever
 * the set says (the violations prove it).
 */
export function byDay(rows: readonly ComplianceRow[], days: readonly string[], monitored: ReadonlySet<string>, storeIds: readonly string[]): DayBar[] {
  return days.map((day) => {
    const t = zero();
    for (const r of rows) if (r.day === day && storeIds.includes(r.storeId)) add(t, r);
    const watched = t.violations > 0 || storeIds.some((s) => monitored.has(`${s}|${day}`));
    return { day, ...t, monitored: watched };
  });
}

export function byRule(rows: readonly ComplianceRow[]): RuleBar[] {
  const map = new Map<string, RuleBar>();
  for (const r of rows) {
    const key = `${r.sopId}\u0000${r.rule}`;
    const bar = map.get(key) ?? { sopId: r.sopId, rule: r.rule, title: r.ruleTitle, titleZh: r.ruleTitleZh, ...zero(), dismissedShare: null };
    add(bar, r);
    map.set(key, bar);
  }
  return [...map.values()]
    .map((b) => ({ ...b, dismissedShare: share(b) }))
    .sort((a, b) => b.violations - a.violations || a.sopId.localeCompare(b.sopId) || a.rule.localeCompare(b.rule));
}

export function byStore(
  rows: readonly ComplianceRow[], stores: ReadonlyArray<{ id: string; name: string }>, days: readonly string[], monitored: ReadonlySet<string>,
): StoreColumn[] {
  return stores.map((s) => {
    const mine = rows.filter((r) => r.storeId === s.id);
    const t = zero();
    for (const r of mine) add(t, r);
    const dayBars = byDay(mine, days, monitored, [s.id]);
    return { storeId: s.id, storeName: s.name, ...t, dismissedShare: share(t), days: dayBars, monitoredDays: dayBars.filter((d) => d.monitored).length };
  });
}
