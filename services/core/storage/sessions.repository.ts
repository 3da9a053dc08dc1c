// Server-side sessions: only the SHA-256 of the token is stored, so a database leak gives no usable cookie.
import type { Queryable, Row } from './database.ts';
import type { Role } from './users.repository.ts';

export interface Session {
  id: string;
  userId: string;
  expiresAt: Date;
  createdAt: Date;
}

/** A live session joined with its (enabled) user: what a request is authenticated as. */
export interface ActiveSession extends Session {
  email: string;
  role: Role;
  franchise: string | null;
}

export class SessionRepository {
  constructor(private readonly db: Queryable) {}

  async create(tokenHash: string, userId: string, expiresAt: Date): Promise<Session> {
    const r = await this.db.query(
      'INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, $3) RETURNING *',
      [tokenHash, userId, expiresAt],
    );
    const row = r.rows[0] as Row;
    return { id: row.id as string, userId: row.user_id as string, expiresAt: row.expires_at as Date, createdAt: row.created_at as Date };
  }

  /** The session when it exists, is neither revoked nor expired, and its user is not disabled. */
  async findActive(tokenHash: string): Promise<ActiveSession | undefined> {
    const r = await this.db.query(
      `SELECT s.id, s.user_id, s.expires_at, s.created_at, u.email, u.role, u.franchise
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL`,
      [tokenHash],
    );
    const row = r.rows[0];
    if (row === undefined) return undefined;
    return {
      id: row.id as string,
      userId: row.user_id as string,
      expiresAt: row.expires_at as Date,
      createdAt: row.created_at as Date,
      email: row.email as string,
      role: row.role as Role,
      franchise: (row.franchise as string | null) ?? null,
    };
  }

  async revoke(tokenHash: string): Promise<void> {
    await this.db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [tokenHash]);
  }

  /** Signs a user out everywhere; returns how many sessions were open. */
  async revokeAllFor(userId: string): Promise<number> {
    const r = await this.db.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return r.rowCount;
  }

  /** Removes sessions that ended more than a day ago (the audit log keeps the logins). */
  async purgeEnded(): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM sessions WHERE COALESCE(revoked_at, expires_at) < now() - interval '1 day'`,
    );
    return r.rowCount;
  }
}
