import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { parse } from 'yaml';
import { rbacProblems } from './checks/argocd-rbac';
import { backupAlertProblems } from './checks/backup-alerts';
import { defaultDenyProblems } from './checks/default-deny';
import { deletionProblems } from './checks/deletion';
import { releaseProblems } from './checks/releases';
import { veleroChartProblems } from './checks/velero-chart';
import { networkPaths } from './checks/network-paths';
import { CLUSTER_SCOPED, projectProblems, type ProjectSpec } from './checks/projects';
import { veleroValuesProblems } from './checks/velero-values';
import { workloadTrust } from './checks/workload-trust';
import { checkObjects } from './check-chart';
import type { KubeObject } from './helm';
import { ROOT_APPLICATION, type RenderedSystem, specOf } from './gitops';

export interface SystemFinding {
  readonly file: string;
  readonly rule: string;
  readonly message: string;
}

/** Retention the platform promises: daily 30 days, weekly 90 days. */
export const RETENTION = { daily: 720 * 3600, weekly: 2160 * 3600 };
/** Namespaces that are Kubernetes' own: never in a "full" backup's list, always excluded from it. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
/** Annotations that configure the whole ALB of an IngressGroup: members must agree on them. */
export const GROUP_WIDE_ANNOTATIONS = [
  'scheme',
  'listen-ports',
  'ssl-redirect',
  'certificate-arn',
  'ssl-policy',
  'inbound-cidrs',
  'security-groups',
  'load-balancer-attributes',
  'ip-address-type',
  'target-type',
].map((a) => `alb.ingress.kubernetes.io/${a}`);

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

const where = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? '(cluster)'}/${o.metadata.name}`;

/** Checks the whole rendered system as one. */
export function checkSystem(system: RenderedSystem, workspace: string): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const appsFile = system.apps[0]?.definedIn ?? 'argocd/apps/values.yaml';
  const rootSpec = specOf(system.root);

  // Schemas of the root, the app-of-apps and every rendered object; and rendering itself.
  for (const f of checkObjects([system.root, ...system.bootstrapProjects, ...system.appOfApps]).filter(
    (f) => f.rule === 'schema' || f.rule === 'unique',
  ))
    add(ROOT_APPLICATION, f.rule, `${f.object}: ${f.message}`);
  for (const app of system.apps) {
    const file = app.path ?? app.definedIn;
    if (app.renderError !== undefined) add(file, 'renders', `Application ${app.name}: ${app.renderError}`);
    for (const f of checkObjects(app.objects)) add(file, f.rule, `${f.object}: ${f.message}`);
  }

  // Pod Security admission: every namespace an Application deploys into is labelled by exactly one
  // Application (its owner), and enforces restricted unless it is Velero's.
  const labellers = new Map<string, string[]>();
  for (const app of system.apps) {
    const spec = specOf(app.application);
    const namespace = spec.destination.namespace;
    if (!labellers.has(namespace)) labellers.set(namespace, []);
    const labels = spec.syncPolicy?.managedNamespaceMetadata?.labels;
    if (labels === undefined) continue;
    labellers.get(namespace)?.push(app.name);
    const enforce = labels['pod-security.kubernetes.io/enforce'];
    const expected = namespace === 'velero' ? 'privileged' : 'restricted';
    if (enforce !== expected)
      add(app.definedIn, 'pod-security', `namespace ${namespace} enforces ${enforce ?? 'nothing'}, not ${expected}`);
  }
  for (const [namespace, apps] of labellers)
    if (apps.length !== 1)
      add(
        appsFile,
        'pod-security',
        `namespace ${namespace} is labelled for Pod Security admission by ${apps.length === 0 ? 'no Application' : apps.join(' and ')}, not by exactly one`,
      );

  // One repository and revision, written once, tracked by every child.
  const rootSource = rootSpec.source;
  for (const problem of projectProblems(system)) add(problem.file, problem.rule, problem.message);
  const projects = new Map(
    system.appOfApps.filter((o) => o.kind === 'AppProject').map((o) => [o.metadata.name, o['spec'] as ProjectSpec]),
  );
  for (const app of system.apps) {
    const spec = specOf(app.application);
    const sources = spec.sources ?? (spec.source ? [spec.source] : []);
    const projectSpec = projects.get(spec.project) ?? {};
    const allowedNamespace = (namespace: string) =>
      (projectSpec.destinations ?? []).some((d) => d.namespace === namespace || d.namespace === '*');
    if (!projects.has(spec.project))
      add(
        app.definedIn,
        'project',
        `Application ${app.name} is in project ${spec.project}, which the app-of-apps does not define`,
      );
    for (const source of sources) {
      if (!(projectSpec.sourceRepos ?? []).includes(source.repoURL))
        add(
          app.definedIn,
          'project',
          `Application ${app.name}: source ${source.repoURL} is not allowed by AppProject ${spec.project}`,
        );
      if (
        source.chart === undefined &&
        (source.repoURL !== rootSource?.repoURL ||
          (!app.released && source.targetRevision !== rootSource.targetRevision))
      ) {
        add(
          app.definedIn,
          'one-revision',
          `Application ${app.name} tracks ${source.repoURL}@${source.targetRevision}, not ${rootSource?.repoURL}@${rootSource?.targetRevision} like the root`,
        );
      }
      if (source.path !== undefined && !existsSync(join(workspace, source.path, 'Chart.yaml')))
        add(app.definedIn, 'paths', `Application ${app.name}: path ${source.path} is not a chart`);
      for (const file of source.helm?.valueFiles ?? []) {
        const resolved = file.startsWith('$values/') ? file.slice('$values/'.length) : join(source.path ?? '', file);
        if (!existsSync(join(workspace, resolved)))
          add(app.definedIn, 'paths', `Application ${app.name}: value file ${file} does not exist`);
      }
    }
    if (!allowedNamespace(spec.destination.namespace))
      add(
        app.definedIn,
        'destinations',
        `Application ${app.name}: destination namespace ${spec.destination.namespace} is not allowed by its AppProject`,
      );
    const policy = spec.syncPolicy;
    if (!policy?.automated?.prune || !policy.automated.selfHeal)
      add(app.definedIn, 'sync-policy', `Application ${app.name} must sync automatically with prune and self-heal`);
    if (!policy?.syncOptions?.includes('CreateNamespace=true'))
      add(app.definedIn, 'sync-policy', `Application ${app.name} must create its namespace`);
    if (policy?.retry === undefined)
      add(app.definedIn, 'sync-policy', `Application ${app.name} must retry a failed sync with backoff`);
    for (const object of app.objects) {
      const file = app.path ?? app.definedIn;
      if (CLUSTER_SCOPED.has(object.kind)) {
        const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
        if (!(projectSpec.clusterResourceWhitelist ?? []).some((w) => w.kind === object.kind && w.group === group))
          add(
            file,
            'destinations',
            `${where(object)}: cluster-scoped ${object.kind} is not in AppProject ${spec.project}'s allow-list`,
          );
      } else if (!allowedNamespace(object.metadata.namespace ?? app.namespace)) {
        add(
          file,
          'destinations',
          `${where(object)}: namespace ${object.metadata.namespace} is not an allowed destination`,
        );
      }
    }
  }

  // Workload identity: every service a pod calls trusts its service account, and no service
  // trusts one that does not call it; one cluster issuer for all.
  for (const problem of workloadTrust(system.apps.flatMap((a) => a.objects))) add(appsFile, 'workload-trust', problem);

  // Network paths: the NetworkPolicies let exactly the declared calls through, by namespace and labels.
  for (const problem of networkPaths(system.apps.flatMap((a) => a.objects))) add(appsFile, 'network-paths', problem);

  // Sync waves: Velero before its schedules, services before the ingress.
  const wave = (name: string) =>
    Number(
      system.apps.find((a) => a.name === name)?.application.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0,
    );
  const names = system.apps.map((a) => a.name);
  if (names.includes('velero') && names.includes('velero-schedules') && !(wave('velero') < wave('velero-schedules')))
    add(appsFile, 'sync-waves', 'velero must sync in an earlier wave than velero-schedules');
  const schedulesApp = system.apps.find((a) => a.objects.some((o) => o.kind === 'Schedule'));
  if (
    schedulesApp !== undefined &&
    !specOf(schedulesApp.application).syncPolicy?.syncOptions?.includes('SkipDryRunOnMissingResource=true')
  ) {
    add(
      appsFile,
      'sync-waves',
      `Application ${schedulesApp.name} deploys Velero Schedules before their CRD exists: it needs SkipDryRunOnMissingResource=true`,
    );
  }
  const ingressApp = system.apps.find((a) => a.objects.some((o) => o.kind === 'Ingress'));
  for (const app of system.apps.filter((a) => a.objects.some((o) => o.kind === 'Deployment'))) {
    if (ingressApp !== undefined && !(wave(app.name) < wave(ingressApp.name)))
      add(appsFile, 'sync-waves', `${app.name} must sync in an earlier wave than ${ingressApp.name}`);
  }

  // The shared ALB.
  const all = system.apps.flatMap((a) => a.objects.map((o) => ({ object: o, app: a })));
  const ingresses = all.filter(({ object }) => object.kind === 'Ingress');
  const services = all.filter(({ object }) => object.kind === 'Service').map(({ object }) => object);
  const groups = new Set(
    ingresses.map(({ object }) => object.metadata.annotations?.['alb.ingress.kubernetes.io/group.name']),
  );
  if (ingresses.length > 0 && (groups.size !== 1 || groups.has(undefined)))
    add(
      ingressApp?.path ?? appsFile,
      'ingress-group',
      `every Ingress must join one IngressGroup; found ${[...groups].map(String).join(', ')}`,
    );
  for (const annotation of GROUP_WIDE_ANNOTATIONS) {
    const values = new Set(ingresses.map(({ object }) => object.metadata.annotations?.[annotation]));
    if (values.size > 1)
      add(
        ingressApp?.path ?? appsFile,
        'ingress-group',
        `members of the IngressGroup disagree on ${annotation}: ${[...values].map(String).join(' | ')}`,
      );
  }
  for (const { object, app } of ingresses) {
    const file = app.path ?? app.definedIn;
    const annotations = object.metadata.annotations ?? {};
    const redirect = annotations['alb.ingress.kubernetes.io/ssl-redirect'];
    if (
      redirect !== undefined &&
      !String(annotations['alb.ingress.kubernetes.io/listen-ports'] ?? '').includes(`"HTTPS": ${redirect}`)
    )
      add(file, 'ingress-group', `${where(object)}: ssl-redirect needs an HTTPS listener on ${redirect}`);
    const className = (object['spec'] as { ingressClassName?: string }).ingressClassName;
    const ingressClass = all.find(
      ({ object: o }) => o.kind === 'IngressClass' && o.metadata.name === className,
    )?.object;
    const paramsName = (ingressClass?.['spec'] as { parameters?: { name: string } } | undefined)?.parameters?.name;
    const params = all.find(
      ({ object: o }) => o.kind === 'IngressClassParams' && o.metadata.name === paramsName,
    )?.object;
    const paramsSpec = params?.['spec'] as { group?: { name: string }; namespaceSelector?: unknown } | undefined;
    if (paramsSpec?.group?.name === undefined || paramsSpec.namespaceSelector === undefined)
      add(
        file,
        'ingress-group',
        `${where(object)}: its IngressClass ${className} must pin the group with IngressClassParams (group and namespaceSelector)`,
      );
    const spec = object['spec'] as {
      defaultBackend?: Backend;
      rules?: { http?: { paths?: { backend: Backend }[] } }[];
    };
    const backends = [
      ...(spec.defaultBackend ? [spec.defaultBackend] : []),
      ...(spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)),
    ];
    for (const backend of backends) {
      const service = backend.service;
      if (service === undefined) continue;
      if (service.port?.name === 'use-annotation') {
        const action = annotations[`alb.ingress.kubernetes.io/actions.${service.name}`];
        if (action === undefined) {
          add(
            file,
            'ingress-backends',
            `${where(object)}: backend ${service.name} uses an annotation that does not exist`,
          );
          continue;
        }
        const targets =
          (JSON.parse(action) as { forwardConfig?: { targetGroups?: { serviceName: string; servicePort: string }[] } })
            .forwardConfig?.targetGroups ?? [];
        for (const target of targets) checkBackend(object, target.serviceName, Number(target.servicePort), file);
      } else {
        checkBackend(object, service.name, service.port?.number ?? service.port?.name, file);
      }
    }
  }
  function checkBackend(ingress: KubeObject, name: string, port: number | string | undefined, file: string) {
    const service = services.find(
      (s) => s.metadata.name === name && s.metadata.namespace === ingress.metadata.namespace,
    );
    if (service === undefined) {
      add(
        file,
        'ingress-backends',
        `${where(ingress)}: backend Service ${name} does not exist in namespace ${ingress.metadata.namespace}`,
      );
      return;
    }
    const spec = service['spec'] as { type?: string; ports?: { name?: string; port: number }[] };
    if (spec.type === 'ExternalName')
      add(
        file,
        'ingress-backends',
        `${where(ingress)}: backend ${name} is an ExternalName Service, which the AWS Load Balancer Controller does not support`,
      );
    if (!(spec.ports ?? []).some((p) => p.port === port || p.name === port))
      add(file, 'ingress-backends', `${where(ingress)}: Service ${name} has no port ${String(port)}`);
  }

  // Backups.
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
          a.namespace,
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

  // No two objects anywhere share kind, namespace and name.
  const seen = new Map<string, string>();
  for (const { object, app } of all) {
    const key = `${object.kind} ${object.metadata.namespace ?? app.namespace}/${object.metadata.name}`;
    if (seen.has(key) && seen.get(key) !== app.name)
      add(app.path ?? app.definedIn, 'unique', `${key} is rendered by both ${seen.get(key)} and ${app.name}`);
    seen.set(key, app.name);
  }

  // Rule families of their own (tools/delivery/src/checks).
  findings.push(
    ...releaseProblems(system, workspace),
    ...deletionProblems(system),
    ...defaultDenyProblems(system),
    ...backupAlertProblems(system),
    ...veleroChartProblems(system, workspace),
    ...rbacProblems(system, workspace),
  );

  // ArgoCD's own configuration that this design depends on.
  const cmFile = 'argocd/bootstrap/argocd-cm.yaml';
  const cm = existsSync(join(workspace, cmFile))
    ? (parse(readFileSync(join(workspace, cmFile), 'utf8')) as { data?: Record<string, string> })
    : {};
  if (cm.data?.['application.resourceTrackingMethod'] !== 'annotation')
    add(
      cmFile,
      'argocd-config',
      'resource tracking must be by annotation (Velero copies Schedule labels onto Backups)',
    );
  if (!cm.data?.['resource.customizations.health.argoproj.io_Application']?.includes('obj.status.health'))
    add(
      cmFile,
      'argocd-config',
      'the argoproj.io/Application health check must be configured, or sync waves do not wait for children',
    );
  return findings;
}

interface Backend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

export const formatSystemFindings = (findings: readonly SystemFinding[]) =>
  findings.map((f) => `${f.file}: [${f.rule}] ${f.message}`).join('\n');

export { networkPaths, workloadTrust };
