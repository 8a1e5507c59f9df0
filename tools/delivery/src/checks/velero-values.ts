import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type RenderedSystem, specOf } from '../gitops';

interface VeleroValues {
  initContainers?: { name: string; resources?: { requests?: object; limits?: object } }[];
  deployNodeAgent?: boolean;
  nodeAgent?: { resources?: { requests?: object; limits?: object } };
  resources?: { requests?: object; limits?: object };
  configuration?: { backupStorageLocation?: { name?: string; config?: Record<string, string> }[] };
  metrics?: { enabled?: boolean; serviceMonitor?: { enabled?: boolean } };
}

/**
 * The Velero chart is not rendered offline, so its values are checked as written: every container
 * (server, node agent, plugin init containers) has requests and limits, backups are encrypted with
 * a KMS key, and its metrics are scraped (the backup alerts need them).
 */
export function veleroValuesProblems(workspace: string, system: RenderedSystem): { file: string; message: string }[] {
  const velero = system.apps.find((a) => specOf(a.application).sources?.some((s) => s.chart === 'velero'));
  const file = (
    velero && specOf(velero.application).sources?.find((s) => s.chart === 'velero')?.helm?.valueFiles?.[0]
  )?.replace(/^\$values\//, '');
  if (velero === undefined || file === undefined || !existsSync(join(workspace, file))) return [];
  const values = (parse(readFileSync(join(workspace, file), 'utf8')) ?? {}) as VeleroValues;
  const problems: string[] = [];
  const bounded = (r?: { requests?: object; limits?: object }) => r?.requests !== undefined && r.limits !== undefined;
  if (!bounded(values.resources)) problems.push('the Velero server needs resource requests and limits');
  if (values.deployNodeAgent && !bounded(values.nodeAgent?.resources))
    problems.push('the node agent needs resource requests and limits (nodeAgent.resources)');
  for (const init of values.initContainers ?? [])
    if (!bounded(init.resources)) problems.push(`init container ${init.name} needs resource requests and limits`);
  for (const location of values.configuration?.backupStorageLocation ?? [])
    if (location.config?.['serverSideEncryption'] !== 'aws:kms' || !location.config['kmsKeyId'])
      problems.push(
        `backup storage location ${location.name ?? '(unnamed)'} must encrypt with a KMS key (serverSideEncryption: aws:kms, kmsKeyId)`,
      );
  if (!values.metrics?.enabled || !values.metrics.serviceMonitor?.enabled)
    problems.push('Velero metrics and their ServiceMonitor must be on: the backup alerts read them');
  return problems.map((message) => ({ file, message }));
}
