// People who may sign in: their role, their franchise (owners) or stores (managers, auditors), and who sees what.
import type { Database, Queryable, Row } from './database.ts';
import { NotFoundError } from './storage-errors.ts';

export type Role = 'owner' | 'manager' | 'auditor';
export const ROLES: readonly Role[] = ['owner', 'manager', 'auditor'];

export interface User {
  id: string;
  email: string;
  role: Role;
  /** Owners: the franchise whose stores they all see. */
  franchise: string | null;
  disabledAt: Date | null;
  createdAt: Date;
}

/** A user with the stored password hash: only the login path reads this. */
export interface UserWithSecret extends User {
  passwordHash: string;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  role: Role;
  franchise?: string;
  /** Stores a manager or auditor is given (owners see their franchise instead). */
  storeIds?: readonly string[];
}

function toUser(r: Row): User {
  return {
    id: r.id as string,
    email: r.email as string,
    role: r.role as Role,
    franchise: (r.franchise as string | null) ?? null,
    disabledAt: (r.disabled_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

export class UserRepository {
  constructor(private readonly db: Database) {}

  async create(input: NewUser): Promise<User> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query(
        'INSERT INTO users (email, password_hash, role, franchise) VALUES ($1, $2, $3, $4) RETURNING *',
        [input.email, input.passwordHash, input.role, input.franchise ?? null],
      );
      const user = toUser(r.rows[0] as Row);
      for (const storeId of input.storeIds ?? []) await grant(tx, user.id, storeId);
      return user;
    });
  }

  async findByEmail(email: string): Promise<UserWithSecret | undefined> {
    const r = await this.db.query('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
    const row = r.rows[0];
    return row === undefined ? undefined : { ...toUser(row), passwordHash: row.password_hash as string };
  }

  async get(id: string): Promise<User | undefined> {
    const r = await this.db.query('SELECT * FROM users WHERE id = $1', [id]);
    return r.rows[0] === undefined ? undefined : toUser(r.rows[0]);
  }

  async list(): Promise<User[]> {
    const r = await this.db.query('SELECT * FROM users ORDER BY created_at, id');
    return r.rows.map(toUser);
  }

  async grantStore(userId: string, storeId: string): Promise<void> {
    await grant(this.db, userId, storeId);
  }

  /** Disabling also revokes every open session, so the person is signed out at once. */
  async disable(id: string): Promise<User> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query('UPDATE users SET disabled_at = COALESCE(disabled_at, now()) WHERE id = $1 RETURNING *', [id]);
      if (r.rows[0] === undefined) throw new NotFoundError(`user ${id} not found`);
      await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id]);
      return toUser(r.rows[0]);
    });
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    const r = await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
    if (r.rowCount === 0) throw new NotFoundError(`user ${id} not found`);
  }

  /** The stores this user may see: all of an owner's franchise, or the ones granted. Deny by default. */
  async storeIds(user: Pick<User, 'id' | 'role' | 'franchise'>): Promise<string[]> {
    const r = user.role === 'owner'
      ? await this.db.query('SELECT id FROM stores WHERE franchise = $1 ORDER BY id', [user.franchise])
      : await this.db.query('SELECT store_id AS id FROM user_stores WHERE user_id = $1 ORDER BY store_id', [user.id]);
    return r.rows.map((row) => row.id as string);
  }
}

async function grant(db: Queryable, userId: string, storeId: string): Promise<void> {
  await db.query('INSERT INTO user_stores (user_id, store_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, storeId]);
}
