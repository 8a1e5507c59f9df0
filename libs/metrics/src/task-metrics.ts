import { Counter, type Registry } from 'prom-client';

export interface TaskMetrics {
  /** One run of a background task ended, well or not. */
  ran(task: string, ok: boolean): void;
  /** A background task repaired something (`repair` names what, from a small fixed set). */
  repaired(task: string, repair: string): void;
}

/**
 * Metrics of the background tasks a service runs beside its requests (reconcilers, purges): how
 * their runs end, and what they repair, for the alerts that say a task keeps failing or keeps
 * finding something to heal.
 */
export function createTaskMetrics(registry: Registry): TaskMetrics {
  const runs = new Counter({
    name: 'background_task_runs_total',
    help: 'Runs of background tasks, by task and outcome (ok or failed).',
    labelNames: ['task', 'outcome'] as const,
    registers: [registry],
  });
  const repairs = new Counter({
    name: 'background_task_repairs_total',
    help: 'Half-finished work that a background task completed or undid, by task and repair.',
    labelNames: ['task', 'repair'] as const,
    registers: [registry],
  });
  return {
    ran: (task, ok) => runs.inc({ task, outcome: ok ? 'ok' : 'failed' }),
    repaired: (task, repair) => repairs.inc({ task, repair }),
  };
}
