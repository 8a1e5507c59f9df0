import type { RenderedSystem } from '../gitops';
import type { SystemFinding } from '../gitops-checks';

const RUNS_PODS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

interface Peer {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: unknown;
  ipBlock?: unknown;
}
interface PolicySpec {
  podSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  policyTypes?: string[];
  ingress?: { from?: Peer[]; ports?: { port?: number | string }[] }[];
  egress?: unknown[];
}

/**
 * Every namespace where a service runs pods denies by default: one NetworkPolicy selects all its
 * pods and allows nothing in or out, so only what a service's own policy allows ever passes.
 * Velero's namespace is not a service's (its node agent talks to every node).
 */
export function defaultDenyProblems(system: RenderedSystem): SystemFinding[] {
  const problems: SystemFinding[] = [];
  for (const app of system.apps) {
    if (app.namespace === 'velero' || !app.objects.some((o) => RUNS_PODS.has(o.kind))) continue;
    const denies = app.objects.some((o) => {
      if (o.kind !== 'NetworkPolicy' || (o.metadata.namespace ?? app.namespace) !== app.namespace) return false;
      const spec = o['spec'] as PolicySpec;
      const everyPod =
        Object.keys(spec.podSelector?.matchLabels ?? {}).length === 0 &&
        (spec.podSelector?.matchExpressions ?? []).length === 0;
      const types = spec.policyTypes ?? [];
      return (
        everyPod &&
        types.includes('Ingress') &&
        types.includes('Egress') &&
        (spec.ingress ?? []).length === 0 &&
        (spec.egress ?? []).length === 0
      );
    });
    // A whole namespace that is not a service's (Prometheus's) is admitted to the metrics port only.
    const serviceNamespaces = new Set(
      system.apps.filter((a) => a.objects.some((o) => RUNS_PODS.has(o.kind))).map((a) => a.namespace),
    );
    for (const policy of app.objects.filter((o) => o.kind === 'NetworkPolicy')) {
      for (const rule of (policy['spec'] as PolicySpec).ingress ?? []) {
        const wholeNamespace = (rule.from ?? []).find(
          (peer) =>
            peer.namespaceSelector !== undefined &&
            peer.podSelector === undefined &&
            !serviceNamespaces.has(peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] ?? ''),
        );
        const ports = (rule.ports ?? []).map((p) => p.port);
        if (wholeNamespace !== undefined && (ports.length === 0 || ports.some((p) => p !== 'metrics')))
          problems.push({
            file: app.path ?? app.definedIn,
            rule: 'monitoring-port',
            message: `NetworkPolicy ${app.namespace}/${policy.metadata.name} admits namespace ${wholeNamespace.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']} to ${ports.length === 0 ? 'every port' : ports.join(', ')}, not only the metrics port`,
          });
      }
    }
    if (!denies)
      problems.push({
        file: app.path ?? app.definedIn,
        rule: 'default-deny',
        message: `namespace ${app.namespace} has no default-deny NetworkPolicy (every pod, Ingress and Egress, nothing allowed)`,
      });
  }
  return problems;
}
