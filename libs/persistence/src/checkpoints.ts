import type { Queryable } from './database';

/** A position in an outside, time-ordered feed: a moment, and the last key seen at that moment. */
export interface Checkpoint {
  readonly at: string;
  readonly afterKey: string;
}

/** Where periodic passes over outside feeds got to: the port the passes depend on. */
export interface CheckpointStore {
  get(name: string): Promise<Checkpoint | undefined>;
  /** Moves `name` to `to`, unless it is already there or further (positions never go back). */
  advance(name: string, to: Checkpoint): Promise<void>;
}

/**
 * Where each periodic pass over an outside feed got to (table `checkpoints`, created by the
 * service's migrations), so the next pass resumes there. Positions only move forward: replicas
 * running the same pass at once may overlap, which the passes make harmless, but never go back.
 */
export class Checkpoints implements CheckpointStore {
  constructor(private readonly db: Queryable) {}

  async get(name: string): Promise<Checkpoint | undefined> {
    const { rows } = await this.db.query<{ at: Date; after_key: string }>(
      'SELECT at, after_key FROM checkpoints WHERE name = $1',
      [name],
    );
    const row = rows[0];
    return row === undefined ? undefined : { at: row.at.toISOString(), afterKey: row.after_key };
  }

  /** Moves `name` to `to`, unless it is already there or further. */
  async advance(name: string, to: Checkpoint): Promise<void> {
    await this.db.query(
      `INSERT INTO checkpoints (name, at, after_key) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET at = EXCLUDED.at, after_key = EXCLUDED.after_key
       WHERE (checkpoints.at, checkpoints.after_key) < (EXCLUDED.at, EXCLUDED.after_key)`,
      [name, to.at, to.afterKey],
    );
  }
}
