import { createHash } from 'node:crypto';
import type { Queryable } from './database';

export type IdempotencyStart =
  | { readonly state: 'started' }
  /** The key's request completed: its outcome, as `complete` recorded it (serialized, e.g. JSON). */
  | { readonly state: 'replay'; readonly result: string }
  | { readonly state: 'in-progress' }
  | { readonly state: 'mismatch' };

/** A key whose request was left in progress (the process died), with what it asked for. */
export interface AbandonedKey {
  readonly key: string;
  /** The request summary `begin` was given. */
  readonly request: string | null;
}

export interface IdempotencyOptions {
  /** How long a completed key replays its outcome: at least 24 hours. */
  readonly ttlMs?: number;
  /**
   * How long a key may stay "in progress" before a retry with the same request may take it over
   * (the first attempt crashed between its side effect and its record). Must exceed the longest
   * request; the side effect must itself be idempotent (keyed at the provider).
   */
  readonly staleAfterMs?: number;
  readonly now?: () => Date;
}

/**
 * A stable fingerprint of a request: the JSON of the given parts with object keys sorted, so the
 * same request sent with its fields in another order is still the same request.
 */
export function requestFingerprint(...parts: unknown[]): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
          )
        : value;
  return createHash('sha256')
    .update(JSON.stringify(parts.map(canonical)))
    .digest('hex');
}

/** Idempotency keys: the port their users depend on (`IdempotencyStore` keeps them in SQL). */
export interface IdempotencyKeys {
  begin(scope: string, key: string, fingerprint: string, request?: string): Promise<IdempotencyStart>;
  complete(tx: Queryable, scope: string, key: string, result: string): Promise<void>;
  takeOverAbandoned(scope: string, limit?: number): Promise<AbandonedKey[]>;
  abandon(scope: string, key: string): Promise<void>;
  inProgress(scope: string, key: string): Promise<boolean>;
  release(scope: string, key: string): Promise<void>;
  purgeExpired(): Promise<number>;
}

/** How long completed keys replay (at least a day) and when one in progress counts as abandoned (default 60 s). */
export const idempotencyTimes = (options: IdempotencyOptions) => ({
  ttlMs: Math.max(options.ttlMs ?? 24 * 3600_000, 24 * 3600_000),
  staleAfterMs: options.staleAfterMs ?? 60_000,
});

interface KeyRow {
  request_hash: string;
  state: 'in_progress' | 'completed';
  result: string | null;
}

/**
 * Idempotency keys as payment APIs keep them (table `idempotency_keys`, created by each service's
 * migrations): the first request with a key claims it atomically; a retry with the same request
 * gets the first outcome replayed; the same key with a different request is refused; a retry
 * while the first is still running is told so. A key's outcome is whatever its owner records (the
 * domain result, not an HTTP response), in the transaction that makes the request's effect durable.
 */
export class IdempotencyStore implements IdempotencyKeys {
  readonly #db: Queryable;
  readonly #ttlMs: number;
  readonly #staleAfterMs: number;
  readonly #now: () => Date;

  constructor(db: Queryable, options: IdempotencyOptions = {}) {
    this.#db = db;
    ({ ttlMs: this.#ttlMs, staleAfterMs: this.#staleAfterMs } = idempotencyTimes(options));
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Claims `key` for a request (`fingerprint` says which; `request` is an optional summary kept
   * for whoever must finish the request if this process dies, never a secret).
   */
  async begin(scope: string, key: string, fingerprint: string, request?: string): Promise<IdempotencyStart> {
    const now = this.#now();
    const claimed = await this.#db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, request, state, locked_at, expires_at)
       VALUES ($1, $2, $3, $7, 'in_progress', $4, $5)
       ON CONFLICT (scope, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, request = EXCLUDED.request, state = 'in_progress',
             locked_at = EXCLUDED.locked_at, expires_at = EXCLUDED.expires_at, result = NULL
         WHERE idempotency_keys.expires_at < $4
            OR (idempotency_keys.state = 'in_progress' AND idempotency_keys.locked_at < $6
                AND idempotency_keys.request_hash = EXCLUDED.request_hash)
       RETURNING key`,
      [
        scope,
        key,
        fingerprint,
        now.toISOString(),
        new Date(now.getTime() + this.#ttlMs).toISOString(),
        new Date(now.getTime() - this.#staleAfterMs).toISOString(),
        request ?? null,
      ],
    );
    if (claimed.rowCount > 0) return { state: 'started' };

    const { rows } = await this.#db.query<KeyRow>(
      'SELECT request_hash, state, result FROM idempotency_keys WHERE scope = $1 AND key = $2',
      [scope, key],
    );
    const row = rows[0];
    // Released between our insert and this read: the other request failed; ask the client to retry.
    if (row === undefined) return { state: 'in-progress' };
    if (row.request_hash !== fingerprint) return { state: 'mismatch' };
    if (row.state === 'in_progress' || row.result === null) return { state: 'in-progress' };
    return { state: 'replay', result: row.result };
  }

  /** Records the outcome; call it in the transaction that makes the request's effect durable. */
  async complete(tx: Queryable, scope: string, key: string, result: string): Promise<void> {
    await tx.query("UPDATE idempotency_keys SET state = 'completed', result = $3 WHERE scope = $1 AND key = $2", [
      scope,
      key,
      result,
    ]);
  }

  /**
   * Takes over up to `limit` keys of `scope` left in progress for longer than the stale time (their
   * requests were abandoned), for whoever settles them: each is locked afresh, so another replica
   * or a retry does not take it over while it is being settled.
   */
  async takeOverAbandoned(scope: string, limit = 100): Promise<AbandonedKey[]> {
    const now = this.#now();
    const { rows } = await this.#db.query<AbandonedKey>(
      `UPDATE idempotency_keys k SET locked_at = $2
       FROM (SELECT scope, key FROM idempotency_keys
             WHERE scope = $1 AND state = 'in_progress' AND locked_at < $3
             ORDER BY locked_at LIMIT $4 FOR UPDATE SKIP LOCKED) abandoned
       WHERE k.scope = abandoned.scope AND k.key = abandoned.key
       RETURNING k.key, k.request`,
      [scope, now.toISOString(), new Date(now.getTime() - this.#staleAfterMs).toISOString(), limit],
    );
    return rows;
  }

  /**
   * Marks a key whose request failed after its side effect may have happened (the write after the
   * provider's answer failed) as abandoned now, not after the stale time: it stays claimed, never
   * given back blind, and a retry of the same request or whoever settles abandoned keys takes it
   * over at once.
   */
  async abandon(scope: string, key: string): Promise<void> {
    const staleSince = new Date(this.#now().getTime() - this.#staleAfterMs - 1);
    await this.#db.query(
      "UPDATE idempotency_keys SET locked_at = $3 WHERE scope = $1 AND key = $2 AND state = 'in_progress'",
      [scope, key, staleSince.toISOString()],
    );
  }

  /** Whether the key is claimed by a request whose outcome is not recorded yet. */
  async inProgress(scope: string, key: string): Promise<boolean> {
    const { rows } = await this.#db.query(
      "SELECT 1 FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'",
      [scope, key],
    );
    return rows.length > 0;
  }

  /** Gives the key back after a failure that changed nothing (a provider error), so a retry runs again. */
  async release(scope: string, key: string): Promise<void> {
    await this.#db.query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'", [
      scope,
      key,
    ]);
  }

  /** Deletes keys past their time to live; returns how many. */
  async purgeExpired(): Promise<number> {
    return (await this.#db.query('DELETE FROM idempotency_keys WHERE expires_at < $1', [this.#now().toISOString()]))
      .rowCount;
  }
}
