import type { Owner } from '@platform/auth';
import type { Page } from '@platform/contracts';
import { decodeCursor, type Queryable, nextCursor } from '@platform/persistence';
import type { User } from './user';

interface UserRow {
  id: string;
  seq: number;
  email: string;
  name: string;
  owner_issuer: string | null;
  owner_subject: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, seq, email, name, owner_issuer, owner_subject, created_at, updated_at';

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  owner:
    row.owner_issuer === null || row.owner_subject === null
      ? null
      : { issuer: row.owner_issuer, subject: row.owner_subject },
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export interface UserFilter {
  readonly issuer?: string;
  readonly subject?: string;
}

/** The SQL of the users table; both engines run it unchanged. */
export class UserRepository {
  constructor(private readonly db: Queryable) {}

  async insert(user: User): Promise<User> {
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (id, email, name, owner_issuer, owner_subject, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [
        user.id,
        user.email,
        user.name,
        user.owner?.issuer ?? null,
        user.owner?.subject ?? null,
        user.createdAt,
        user.updatedAt,
      ],
    );
    return toUser(rows[0] as UserRow);
  }

  async find(id: string): Promise<User | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async findByOwner(owner: Owner): Promise<User | undefined> {
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE owner_issuer = $1 AND owner_subject = $2`,
      [owner.issuer, owner.subject],
    );
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async list(limit: number, cursor: string | undefined, filter: UserFilter = {}): Promise<Page<User>> {
    const after = cursor === undefined ? 0 : decodeCursor(cursor);
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users
       WHERE seq > $1 AND ($3::text IS NULL OR owner_issuer = $3) AND ($4::text IS NULL OR owner_subject = $4)
       ORDER BY seq LIMIT $2`,
      [after, limit + 1, filter.issuer ?? null, filter.subject ?? null],
    );
    return { items: rows.slice(0, limit).map(toUser), nextCursor: nextCursor(rows, limit) };
  }

  /** Applies the changed fields; undefined when the user does not exist. */
  async update(id: string, changes: { email?: string; name?: string }, updatedAt: string): Promise<User | undefined> {
    const { rows } = await this.db.query<UserRow>(
      `UPDATE users SET email = COALESCE($2, email), name = COALESCE($3, name), updated_at = $4
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, changes.email ?? null, changes.name ?? null, updatedAt],
    );
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM users WHERE id = $1', [id])).rowCount > 0;
  }
}
