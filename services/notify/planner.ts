// Turns what happened into outbox rows: one per (violation, channel) with a cooldown, escalations, and shift digests.
import type { Severity } from '../core/contracts.ts';
import type { NotifyChannelConfig, NotifyConfig } from '../core/config.ts';
import type { Queryable } from '../core/storage/database.ts';
import { NotificationRepository } from '../core/storage/notifications.repository.ts';
import { NotifySourceRepository, type NotifiableViolation, type StoreClock } from '../core/storage/notify-sources.repository.ts';
import { digestMessage } from './digest.ts';
import { latestEndedShift } from './local-time.ts';
import { factsOf, violationLink, type NotificationMessage } from './message.ts';

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };
const atLeast = (s: Severity, min: Severity): boolean => RANK[s] >= RANK[min];

export interface PlanCounts {
  /** Rows written to be sent. */
  queued: number;
  /** Rows written as held back by a cooldown. */
  suppressed: number;
  escalations: number;
  digests: number;
}

function serves(channel: NotifyChannelConfig, store: { id: string; name: string }): boolean {
  return channel.stores.some((s) => s === '*' || s === store.id || s === store.name);
}

/** channel|store|camera|sop/rule: the unit a cooldown applies to. */
export function cooldownKeyOf(channel: string, v: Pick<NotifiableViolation, 'storeId' | 'cameraId' | 'sopId' | 'rule'>): string {
  return `${channel}|${v.storeId}|${v.cameraId}|${v.sopId}/${v.rule}`;
}

/**
 * Writes the rows that are due at `nowMs`. Run inside one transaction holding the notifier's advisory lock, so that
 * two workers planning at once cannot both decide "not in cooldown" for the same camera and rule.
 */
export async function planNotifications(tx: Queryable, config: NotifyConfig, nowMs: number): Promise<PlanCounts> {
  const outbox = new NotificationRepository(tx);
  const sources = new NotifySourceRepository(tx);
  const counts: PlanCounts = { queued: 0, suppressed: 0, escalations: 0, digests: 0 };
  const byEvent = (event: 'violation' | 'escalation' | 'digest') => config.channels.filter((c) => c.events.includes(event));

  const violationChannels = byEvent('violation');
  if (violationChannels.length > 0) {
    for (const v of await sources.unannounced(nowMs - config.lookbackMs, nowMs)) {
      for (const channel of violationChannels) {
        if (!serves(channel, { id: v.storeId, name: v.storeName }) || !atLeast(v.severity, channel.minSeverity)) continue;
        const cooldownKey = cooldownKeyOf(channel.id, v);
        const last = await outbox.lastSentUnder(cooldownKey);
        const cooling = last !== undefined && nowMs - last.getTime() < config.cooldownMs;
        const suppressed = cooling ? 0 : await outbox.suppressedSince(cooldownKey, last);
        const link = violationLink(config.dashboardUrl, v.id);
        const payload: NotificationMessage = { type: 'violation', facts: factsOf(v), suppressed, ...(link === undefined ? {} : { link }) };
        const added = await outbox.add({
          storeId: v.storeId, channel: channel.id, kind: 'violation', payload, dedupeKey: `violation:${v.id}:${channel.id}`,
          violationId: v.id, cooldownKey, status: cooling ? 'suppressed' : 'pending', suppressedCount: suppressed, createdAtMs: nowMs,
        });
        if (added !== undefined) counts[cooling ? 'suppressed' : 'queued'] += 1;
      }
    }
  }

  const escalationChannels = byEvent('escalation');
  if (escalationChannels.length > 0) {
    const { afterMs, minSeverity } = config.escalation;
    const severities = (Object.keys(RANK) as Severity[]).filter((s) => atLeast(s, minSeverity));
    for (const v of await sources.unreviewed(nowMs - afterMs - config.lookbackMs, nowMs - afterMs, severities)) {
      for (const channel of escalationChannels) {
        if (!serves(channel, { id: v.storeId, name: v.storeName })) continue;
        const link = violationLink(config.dashboardUrl, v.id);
        const minutes = Math.floor((nowMs - v.createdAt.getTime()) / 60_000);
        const payload: NotificationMessage = { type: 'escalation', facts: factsOf(v), unreviewedMinutes: minutes, ...(link === undefined ? {} : { link }) };
        const added = await outbox.add({
          storeId: v.storeId, channel: channel.id, kind: 'escalation', payload, dedupeKey: `escalation:${v.id}:${channel.id}`,
          violationId: v.id, createdAtMs: nowMs,
        });
        if (added !== undefined) counts.escalations += 1;
      }
    }
  }

  const digestChannels = byEvent('digest');
  if (digestChannels.length > 0 && config.stores.some((s) => s.shiftEnds.length > 0)) {
    for (const store of await sources.stores()) {
      counts.digests += await planDigest(outbox, sources, config, digestChannels, store, nowMs);
    }
  }
  return counts;
}

async function planDigest(
  outbox: NotificationRepository, sources: NotifySourceRepository, config: NotifyConfig,
  channels: NotifyChannelConfig[], store: StoreClock, nowMs: number,
): Promise<number> {
  const settings = config.stores.find((s) => s.store === store.id || s.store === store.name);
  const shift = settings === undefined ? undefined : latestEndedShift(nowMs, store.tz, settings.shiftEnds);
  if (shift === undefined || nowMs - shift.endMs > config.digestGraceMs) return 0;
  const endIso = new Date(shift.endMs).toISOString();
  const targets: NotifyChannelConfig[] = [];
  for (const channel of channels) {
    if (serves(channel, store) && (await outbox.byDedupeKey(`digest:${store.id}:${endIso}:${channel.id}`)) === undefined) targets.push(channel);
  }
  if (targets.length === 0) return 0;
  const payload: NotificationMessage = await digestMessage(sources, store, shift, config.dashboardUrl);
  let n = 0;
  for (const channel of targets) {
    const added = await outbox.add({ storeId: store.id, channel: channel.id, kind: 'digest', payload, dedupeKey: `digest:${store.id}:${endIso}:${channel.id}`, createdAtMs: nowMs });
    if (added !== undefined) n += 1;
  }
  return n;
}
