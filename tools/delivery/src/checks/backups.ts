import { CronExpressionParser } from 'cron-parser';
import { parse } from 'yaml';
import type { RenderedSystem } from '../gitops';
import type { SystemFinding } from '../gitops-checks';
import { appRendering, appsFileOf, objectsOf, where } from './common';
import { veleroValuesProblems } from './velero-values';
import { clusterScopedOnly } from './projects';

/** Retention the platform promises: daily 30 days, weekly 90 days. */
export const RETENTION = { daily: 720 * 3600, weekly: 2160 * 3600 };
/** Namespaces that are Kubernetes' own: never in a "full" backup's list, always excluded from it. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
/** A Go duration (`720h0m0s`) in seconds, or undefined when it is not one. */
export function goDurationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (match === null || value === '') return undefined;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** A standard 5-field cron expression (or an @ descriptor) that parses. */
export function cronValid(expression: unknown): boolean {
  if (typeof expression !== 'string') return false;
  const trimmed = expression.trim();
  if (!trimmed.startsWith('@') && trimmed.split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

/**
 * Backups: a daily and a weekly Schedule, valid cron and Go-duration TTLs, the promised retention,
 * backups not owned by (or labelled like) anything that could prune them, events excluded, scratch
 * volumes skipped, every deployed namespace in the daily backup and the weekly one full; Velero's
 * values only with keys its chart has.
 */
export function backupProblems(system: RenderedSystem, workspace: string): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const all = objectsOf(system);
  const appsFile = appsFileOf(system);
  const schedulesApp = appRendering(system, 'Schedule');
  const schedules = all.filter(({ object }) => object.kind === 'Schedule');
  const scheduleFile = schedulesApp?.path ?? appsFile;
  const daily = schedules.find(({ object }) => object.metadata.name === 'daily')?.object;
  const weekly = schedules.find(({ object }) => object.metadata.name === 'weekly')?.object;
  if (daily === undefined || weekly === undefined)
    add(scheduleFile, 'backups', 'a daily and a weekly Velero Schedule are required');
  for (const { object } of schedules) {
    const spec = object['spec'] as {
      schedule?: string;
      useOwnerReferencesInBackup?: boolean;
      template?: {
        ttl?: string;
        includedNamespaces?: string[];
        excludedNamespaces?: string[];
        includeClusterResources?: boolean;
        excludedResources?: string[];
        resourcePolicy?: { kind?: string; name?: string };
      };
    };
    if (!cronValid(spec.schedule))
      add(scheduleFile, 'backups', `${where(object)}: schedule "${spec.schedule}" is not a 5-field cron expression`);
    if (goDurationSeconds(spec.template?.ttl) === undefined)
      add(
        scheduleFile,
        'backups',
        `${where(object)}: ttl "${spec.template?.ttl}" is not a Go duration such as 720h0m0s`,
      );
    if (spec.useOwnerReferencesInBackup !== false)
      add(
        scheduleFile,
        'backups',
        `${where(object)}: backups must not be owned by the Schedule (useOwnerReferencesInBackup: false), or deleting it deletes them`,
      );
    const labels = Object.keys(object.metadata.labels ?? {});
    if (labels.some((l) => l === 'app.kubernetes.io/instance' || l.startsWith('argocd.argoproj.io/')))
      add(
        scheduleFile,
        'backups',
        `${where(object)}: Velero copies its labels to Backups; an ArgoCD tracking label would get them pruned`,
      );
    if (!(spec.template?.excludedResources ?? []).includes('events'))
      add(scheduleFile, 'backups', `${where(object)}: events must be excluded`);
    const policy = spec.template?.resourcePolicy;
    const policyMap = all.find(
      ({ object: o }) =>
        o.kind === 'ConfigMap' &&
        o.metadata.name === policy?.name &&
        o.metadata.namespace === object.metadata.namespace,
    )?.object;
    const skipped = Object.values((policyMap?.['data'] ?? {}) as Record<string, string>).some((text) =>
      (
        (parse(text) as { volumePolicies?: { conditions?: { volumeTypes?: string[] }; action?: { type?: string } }[] })
          .volumePolicies ?? []
      ).some((p) => p.action?.type === 'skip' && (p.conditions?.volumeTypes ?? []).includes('emptyDir')),
    );
    if (policy?.kind !== 'configmap' || !skipped)
      add(
        scheduleFile,
        'backups',
        `${where(object)}: scratch volumes (emptyDir) must be skipped: name a resource policy ConfigMap that skips them`,
      );
  }
  for (const problem of veleroValuesProblems(workspace, system)) add(problem.file, 'velero-values', problem.message);
  if (daily !== undefined) {
    const template = (daily['spec'] as { template: { ttl?: string; includedNamespaces?: string[] } }).template;
    if (goDurationSeconds(template.ttl) !== RETENTION.daily)
      add(scheduleFile, 'backups', `Schedule daily: ttl ${template.ttl} must keep backups 30 days (720h0m0s)`);
    const covered = new Set(template.includedNamespaces ?? []);
    const deployed = new Set(
      system.apps
        .filter((a) => a.name !== 'velero' && a.namespace !== 'velero')
        .flatMap((a) => [
          ...(clusterScopedOnly(a) ? [] : [a.namespace]),
          ...a.objects.map((o) => o.metadata.namespace).filter((n): n is string => n !== undefined),
        ]),
    );
    for (const namespace of deployed)
      if (!covered.has(namespace) && namespace !== 'velero')
        add(
          scheduleFile,
          'backups',
          `namespace ${namespace} is deployed by an Application but not in the daily backup`,
        );
  }
  if (weekly !== undefined) {
    const template = (
      weekly['spec'] as {
        template: {
          ttl?: string;
          includedNamespaces?: string[];
          excludedNamespaces?: string[];
          includeClusterResources?: boolean;
        };
      }
    ).template;
    if (goDurationSeconds(template.ttl) !== RETENTION.weekly)
      add(scheduleFile, 'backups', `Schedule weekly: ttl ${template.ttl} must keep backups 90 days (2160h0m0s)`);
    if (template.includeClusterResources !== true)
      add(
        scheduleFile,
        'backups',
        'Schedule weekly: a full backup must include cluster-scoped resources (includeClusterResources: true)',
      );
    if (!(template.includedNamespaces ?? ['*']).includes('*'))
      add(scheduleFile, 'backups', 'Schedule weekly: a full backup includes every namespace ("*")');
    for (const ns of SYSTEM_NAMESPACES)
      if (!(template.excludedNamespaces ?? []).includes(ns))
        add(scheduleFile, 'backups', `Schedule weekly: system namespace ${ns} must be excluded`);
  }
  return findings;
}
