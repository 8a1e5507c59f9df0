import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type RenderedSystem, specOf } from '../gitops';
import type { SystemFinding } from '../gitops-checks';
import { where } from './common';
import { CLUSTER_SCOPED, clusterScopedOnly, projectProblems, type ProjectSpec } from './projects';

/**
 * Each child Application: in a project the app-of-apps defines, from a source and to namespaces that
 * project allows, one repository and revision with the root (a released service at its release's
 * commit), paths and value files that exist, automated sync with prune, self-heal, retry and its
 * namespace (unless it renders only cluster-scoped objects), and only the cluster-scoped kinds its
 * project lists.
 */
export function applicationProblems(system: RenderedSystem, workspace: string): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const rootSource = specOf(system.root).source;
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
    if (!policy?.syncOptions?.includes('CreateNamespace=true') && !clusterScopedOnly(app))
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
  return findings;
}
