// The append-only audit trail: who did what to which store's data, and when. The table refuses updates and deletes.
import type { Queryable, Row } from './database.ts';

export interface AuditEntry {
  /** User id, or `system:<job>` for automatic actions (`system:retention`). */
  actor: string;
  storeId?: string;
  /** Dotted verb: `evidence.view`, `clip.delete`, `violation.review`. */
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'storeId' | 'target'>> {
  id: number;
  at: Date;
  storeId: string | null;
  target: string | null;
}

function toRecord(r: Row): AuditRecord {
  return {
    id: Number(r.id),
    at: r.at as Date,
    actor: r.actor as string,
    storeId: (r.store_id as string | null) ?? null,
    action: r.action as string,
    target: (r.target as string | null) ?? null,
    detail: (r.detail as Record<string, unknown> | null) ?? {},
  };
}

export class AuditRepository {
  constructor(private readonly db: Queryable) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const r = await this.db.query(
      'INSERT INTO audit_log (actor, store_id, action, target, detail) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING *',
      [entry.actor, entry.storeId ?? null, entry.action, entry.target ?? null, JSON.stringify(entry.detail ?? {})],
    );
    return toRecord(r.rows[0] as Row);
  }

  /** Newest first, within the given stores. */
  async list(storeIds: readonly string[], limit = 100): Promise<AuditRecord[]> {
    const r = await this.db.query(
      `SELECT * FROM audit_log WHERE store_id = ANY($1::text[]) ORDER BY id DESC LIMIT $2`,
      [storeIds, Math.min(Math.max(limit, 1), 1000)],
    );
    return r.rows.map(toRecord);
  }
}
