import { createHash } from 'node:crypto';
import type { Queryable } from './database';

/** A response as it was first sent, kept so a retry with the same key gets it byte for byte. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The serialized body, exactly as sent. */
  readonly body: string;
}

export type IdempotencyStart =
  | { readonly state: 'started' }
  | { readonly state: 'replay'; readonly response: StoredResponse }
  | { readonly state: 'in-progress' }
  | { readonly state: 'mismatch' };

export interface IdempotencyOptions {
  /** How long a completed key replays its response: at least 24 hours. */
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

interface KeyRow {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
}

/**
 * Idempotency keys as payment APIs keep them (table `idempotency_keys`, created by each service's
 * migrations): the first request with a key claims it atomically; a retry with the same request
 * gets the first response replayed; the same key with a different request is refused; a retry
 * while the first is still running is told so.
 */
export class IdempotencyStore {
  readonly #db: Queryable;
  readonly #ttlMs: number;
  readonly #staleAfterMs: number;
  readonly #now: () => Date;

  constructor(db: Queryable, options: IdempotencyOptions = {}) {
    this.#db = db;
    this.#ttlMs = Math.max(options.ttlMs ?? 24 * 3600_000, 24 * 3600_000);
    this.#staleAfterMs = options.staleAfterMs ?? 60_000;
    this.#now = options.now ?? (() => new Date());
  }

  async begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyStart> {
    const now = this.#now();
    const claimed = await this.#db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, state, locked_at, expires_at)
       VALUES ($1, $2, $3, 'in_progress', $4, $5)
       ON CONFLICT (scope, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, state = 'in_progress', locked_at = EXCLUDED.locked_at,
             expires_at = EXCLUDED.expires_at, response_status = NULL, response_headers = NULL, response_body = NULL
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
      ],
    );
    if (claimed.rowCount > 0) return { state: 'started' };

    const { rows } = await this.#db.query<KeyRow>(
      'SELECT request_hash, state, response_status, response_headers, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2',
      [scope, key],
    );
    const row = rows[0];
    // Released between our insert and this read: the other request failed; ask the client to retry.
    if (row === undefined) return { state: 'in-progress' };
    if (row.request_hash !== fingerprint) return { state: 'mismatch' };
    if (row.state === 'in_progress' || row.response_status === null) return { state: 'in-progress' };
    return {
      state: 'replay',
      response: {
        status: row.response_status,
        headers: JSON.parse(row.response_headers ?? '{}'),
        body: row.response_body ?? '',
      },
    };
  }

  /** Records the response; call it in the transaction that makes the request's effect durable. */
  async complete(tx: Queryable, scope: string, key: string, response: StoredResponse): Promise<void> {
    await tx.query(
      `UPDATE idempotency_keys SET state = 'completed', response_status = $3, response_headers = $4, response_body = $5
       WHERE scope = $1 AND key = $2`,
      [scope, key, response.status, JSON.stringify(response.headers), response.body],
    );
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
