import type { KubeObject } from '../helm';
import type { PodOf } from './workload-trust';

interface PeerSelector {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicySpec {
  podSelector?: { matchLabels?: Record<string, string> };
  ingress?: { from?: PeerSelector[] }[];
  egress?: { to?: PeerSelector[] }[];
}
interface Workload {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  /** The services it calls: `<service>.<namespace>` from its environment's in-cluster URLs. */
  readonly calls: ReadonlySet<string>;
}

/** A subnet, not a VPC: pods never share a /20 or narrower block with the load balancer or the database. */
const SUBNET_PREFIX = 20;
const CLUSTER_URL = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local(?::\d+)?(?:\/|$)/;

/** A label selector as Kubernetes reads it: an empty or missing one selects everything. */
const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/**
 * Network paths between the services, from the rendered NetworkPolicies: a service's pods may be
 * reached by, and may reach, exactly the services that call or are called according to their
 * configuration (the in-cluster URLs in their environment), selected by namespace and pod labels;
 * no rule admits a whole service namespace, and no IP block is wider than a subnet unless the
 * policy says why (pods on EKS get VPC addresses: a VPC-wide block admits every pod).
 */
export function networkPaths(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as (PodOf & {
    spec: { template: { metadata?: { labels?: Record<string, string> } } };
  })[];
  const byKey = new Map<string, Workload>();
  for (const d of deployments) {
    const labels = d.spec.template.metadata?.labels ?? {};
    const name = labels['app.kubernetes.io/name'] ?? d.metadata.name;
    const namespace = d.metadata.namespace ?? 'default';
    const calls = new Set(
      d.spec.template.spec.containers.flatMap((c) =>
        (c.env ?? []).flatMap((e) => {
          const match = CLUSTER_URL.exec(e.value ?? '');
          return match ? [`${match[1]}.${match[2]}`] : [];
        }),
      ),
    );
    byKey.set(`${name}.${namespace}`, { namespace, name, labels, calls });
  }
  const workloads = [...byKey.values()];
  const serviceNamespaces = new Set(workloads.map((w) => w.namespace));
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const policiesOf = (w: Workload) =>
    policies.filter(
      (p) =>
        (p.metadata.namespace ?? 'default') === w.namespace &&
        labelsMatch((p['spec'] as PolicySpec).podSelector?.matchLabels, w.labels),
    );
  const selects = (peer: PeerSelector, w: Workload) =>
    peer.ipBlock === undefined &&
    (peer.namespaceSelector === undefined
      ? peer.podSelector !== undefined && labelsMatch(peer.podSelector.matchLabels, w.labels)
      : labelsMatch(peer.namespaceSelector.matchLabels, { 'kubernetes.io/metadata.name': w.namespace }) &&
        labelsMatch(peer.podSelector?.matchLabels, w.labels));
  const admits = (target: Workload, source: Workload) =>
    policiesOf(target).some((p) =>
      ((p['spec'] as PolicySpec).ingress ?? []).some(
        (r) => r.from === undefined || r.from.some((f) => selects(f, source)),
      ),
    );
  const reaches = (source: Workload, target: Workload) =>
    policiesOf(source).some((p) =>
      ((p['spec'] as PolicySpec).egress ?? []).some((r) => r.to === undefined || r.to.some((t) => selects(t, target))),
    );

  for (const policy of policies) {
    const spec = policy['spec'] as PolicySpec;
    const where = `NetworkPolicy ${policy.metadata.namespace ?? 'default'}/${policy.metadata.name}`;
    const reason = policy.metadata.annotations?.['platform.io/wide-cidr-reason'];
    const peers = [
      ...(spec.ingress ?? []).flatMap((r) => r.from ?? []),
      ...(spec.egress ?? []).flatMap((r) => r.to ?? []),
    ];
    for (const peer of peers) {
      const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
      if (
        peer.namespaceSelector !== undefined &&
        peer.podSelector === undefined &&
        namespace !== undefined &&
        serviceNamespaces.has(namespace)
      )
        problems.push(`${where} selects every pod of namespace ${namespace}, not a service's pods by their labels`);
      const prefix = Number(peer.ipBlock?.cidr.split('/')[1] ?? 32);
      // An internet block that excepts the private ranges (the identity providers' keys) is no VPC.
      const internetOnly = (peer.ipBlock?.except ?? []).includes('10.0.0.0/8');
      if (peer.ipBlock !== undefined && prefix < SUBNET_PREFIX && !internetOnly && reason === undefined)
        problems.push(
          `${where} allows ${peer.ipBlock.cidr}, wider than a subnet (/${SUBNET_PREFIX}): every pod in it could pass; narrow it or say why (networkPolicy.wideCidrReason)`,
        );
    }
  }

  for (const source of workloads) {
    for (const target of workloads) {
      if (source === target) continue;
      const declared = source.calls.has(`${target.name}.${target.namespace}`);
      const [inbound, outbound] = [admits(target, source), reaches(source, target)];
      const pair = `${source.namespace}/${source.name} → ${target.namespace}/${target.name}`;
      if (!declared && inbound)
        problems.push(`${pair}: ${target.name} admits ${source.name}'s pods, which do not call it`);
      if (!declared && outbound)
        problems.push(`${pair}: ${source.name} may reach ${target.name}, which it does not call`);
      if (declared && !(inbound && outbound))
        problems.push(
          `${pair}: ${source.name} calls ${target.name}, but the NetworkPolicies block it (${inbound ? 'egress' : 'ingress'})`,
        );
    }
  }
  return problems;
}
