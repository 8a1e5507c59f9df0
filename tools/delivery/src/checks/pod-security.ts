import { type RenderedSystem, specOf } from '../gitops';
import type { SystemFinding } from '../gitops-checks';
import { appsFileOf } from './common';
import { clusterScopedOnly } from './projects';

/**
 * Pod Security admission: every namespace an Application deploys into is labelled by exactly one
 * Application (its owner), and enforces restricted unless it is Velero's. A namespace an Application
 * only names (it renders only cluster-scoped objects) is its installer's.
 */
export function podSecurityProblems(system: RenderedSystem): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const appsFile = appsFileOf(system);
  const labellers = new Map<string, string[]>();
  for (const app of system.apps.filter((a) => !clusterScopedOnly(a))) {
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
  return findings;
}
