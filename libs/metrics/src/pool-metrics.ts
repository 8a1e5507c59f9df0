import { Gauge, type Registry } from 'prom-client';

/** A connection pool's state, read at each scrape. */
export interface PoolState {
  readonly max: number;
  readonly used: number;
  readonly idle: number;
  readonly pending: number;
}

/**
 * The database connection pool at each scrape, named after OpenTelemetry's database client
 * metrics (db.client.connection.count, .max, .pending_requests), for the pool-saturation alert.
 */
export function createPoolMetrics(registry: Registry, state: () => PoolState): void {
  new Gauge({
    name: 'db_client_connections',
    help: 'Database connections of this process, by state (used or idle).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const now = state();
      this.set({ state: 'used' }, now.used);
      this.set({ state: 'idle' }, now.idle);
    },
  });
  new Gauge({
    name: 'db_client_connections_max',
    help: 'The most database connections the pool opens.',
    registers: [registry],
    collect() {
      this.set(state().max);
    },
  });
  new Gauge({
    name: 'db_client_connections_pending_requests',
    help: 'Requests waiting for a database connection.',
    registers: [registry],
    collect() {
      this.set(state().pending);
    },
  });
}
