import type { KubeObject } from './helm';

export interface Finding {
  /** The rule broken, a stable id (`pod-security`, `probes`…). */
  readonly rule: string;
  /** `Kind namespace/name` of the object at fault. */
  readonly object: string;
  readonly message: string;
}

/* Shapes of the fields the rules read. Objects have passed schema validation before this. */
interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: SecurityContext;
}
interface Probe {
  httpGet?: { port: string | number };
  tcpSocket?: { port: string | number };
  grpc?: { port: number };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext & { seccompProfile?: { type?: string } };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: Record<string, unknown>[];
  automountServiceAccountToken?: boolean;
}
interface Workload extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> };
    template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
  };
}

const id = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? '(cluster)'}/${o.metadata.name}`;
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
/** Volume types the restricted Pod Security Standard allows. */
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

function podSecurity(o: Workload, out: Finding[]) {
  const pod = o.spec.template.spec;
  const fail = (message: string) => out.push({ rule: 'pod-security', object: id(o), message });
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail('host namespaces are not allowed');
  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (type !== undefined && !RESTRICTED_VOLUMES.has(type))
      fail(`volume ${String(volume['name'])} of type ${type} is not allowed`);
  }
  const podContext = pod.securityContext ?? {};
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const ctx = { ...podContext, ...c.securityContext };
    if (ctx.runAsNonRoot !== true) fail(`container ${c.name}: runAsNonRoot must be true`);
    if (typeof ctx.runAsUser !== 'number' || ctx.runAsUser < 1)
      fail(`container ${c.name}: runAsUser must be a numeric non-root user`);
    if (c.securityContext?.allowPrivilegeEscalation !== false)
      fail(`container ${c.name}: allowPrivilegeEscalation must be false`);
    if (c.securityContext?.privileged === true) fail(`container ${c.name}: privileged is not allowed`);
    if (!c.securityContext?.capabilities?.drop?.includes('ALL'))
      fail(`container ${c.name}: capabilities must drop ALL`);
    const added = (c.securityContext?.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) fail(`container ${c.name}: capabilities ${added.join(', ')} may not be added`);
    const seccomp = ctx.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      fail(`container ${c.name}: seccompProfile must be RuntimeDefault or Localhost`);
    if (c.securityContext?.readOnlyRootFilesystem !== true)
      fail(`container ${c.name}: readOnlyRootFilesystem must be true`);
  }
}

/**
 * What a Node.js 24 service takes beyond its V8 heap caps at its peak (the binary's pages, native
 * memory, buffers, and with the JIT compiled code and compilation memory), with room: measured
 * under load (docs/benchmarks/results.md) at most 45 MiB with `--jitless` and 82 MiB without.
 */
export const NODE_NON_HEAP_MIB = { jitless: 64, jit: 96 } as const;

const MEMORY_UNITS: Record<string, number> = {
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  K: 1e3 / 2 ** 20,
  M: 1e6 / 2 ** 20,
  G: 1e9 / 2 ** 20,
};

/** A Kubernetes memory quantity in MiB, or undefined when it is not one. */
export function memoryMiB(quantity: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([KMG]i?)?$/.exec(quantity ?? '');
  if (match === null) return undefined;
  return Number(match[1]) * (match[2] === undefined ? 1 / 2 ** 20 : (MEMORY_UNITS[match[2]] ?? NaN));
}

/**
 * A Node.js container's V8 heap caps (old space, and the young generation: three semi-spaces)
 * plus what Node takes outside the heap must fit under its memory limit, or a busy pod is
 * OOM-killed before V8 ever collects.
 */
function memoryBudget(o: Workload, c: Container, out: Finding[]) {
  const options = c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
  if (options === undefined) return;
  const flag = (name: string) => Number(new RegExp(`--${name}=(\\d+)`).exec(options)?.[1] ?? NaN);
  const oldSpace = flag('max-old-space-size');
  const semiSpace = flag('max-semi-space-size');
  const limit = memoryMiB(c.resources?.limits?.memory);
  if (Number.isNaN(oldSpace) || Number.isNaN(semiSpace) || limit === undefined) {
    out.push({
      rule: 'memory-budget',
      object: id(o),
      message: `container ${c.name}: NODE_OPTIONS must cap the old space and the semi-space, and the container must have a memory limit`,
    });
    return;
  }
  const mode = /(^|\s)--jitless(\s|$)/.test(options) ? 'jitless' : 'jit';
  const outside = NODE_NON_HEAP_MIB[mode];
  const needed = oldSpace + 3 * semiSpace + outside;
  if (needed > limit) {
    out.push({
      rule: 'memory-budget',
      object: id(o),
      message: `container ${c.name}: heap caps ${oldSpace} + 3 × ${semiSpace} MiB and ${outside} MiB outside the heap (${mode === 'jitless' ? 'with' : 'without'} --jitless) need ${needed} MiB, over its ${Math.round(limit)} MiB limit`,
    });
  }
}

function containers(o: Workload, out: Finding[]) {
  const pod = o.spec.template.spec;
  if (pod.automountServiceAccountToken !== false)
    out.push({ rule: 'service-account-token', object: id(o), message: 'automountServiceAccountToken must be false' });
  for (const c of pod.containers) {
    memoryBudget(o, c, out);
    workloadIdentity(o, c, out);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) {
        if (!c.resources?.[kind]?.[resource])
          out.push({
            rule: 'resources',
            object: id(o),
            message: `container ${c.name}: resources.${kind}.${resource} is missing`,
          });
      }
    }
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const p = c[probe];
      if (p === undefined) {
        out.push({ rule: 'probes', object: id(o), message: `container ${c.name}: ${probe} is missing` });
        continue;
      }
      const port = p.httpGet?.port ?? p.tcpSocket?.port ?? p.grpc?.port;
      const exists = (c.ports ?? []).some((cp) => cp.name === port || cp.containerPort === port);
      if (port === undefined || !exists)
        out.push({
          rule: 'probe-ports',
          object: id(o),
          message: `container ${c.name}: ${probe} port ${String(port)} is not a port of the container`,
        });
    }
    const image = c.image ?? '';
    const digest = image.includes('@sha256:');
    const tag = /:([^/:@]+)$/.exec(image)?.[1];
    if (!digest && (tag === undefined || tag === 'latest'))
      out.push({
        rule: 'image-tag',
        object: id(o),
        message: `container ${c.name}: image ${image} needs an immutable tag or a digest`,
      });
  }
  if (!matches(o.spec.selector.matchLabels, o.spec.template.metadata?.labels)) {
    out.push({ rule: 'selectors', object: id(o), message: 'spec.selector does not match the pod template labels' });
  }
}

interface ProjectedVolume {
  name: string;
  projected?: { sources?: { serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string } }[] };
}

/** The longest a projected token this platform mounts may live: short, the kubelet renews it. */
export const MAX_TOKEN_SECONDS = 3600;

/**
 * Who a pod is and whom it trusts: both issuers set (https), and for every service it calls
 * (`X_URL`), its own token (`X_TOKEN_FILE`) from a read-only projected service-account token whose
 * audience is that service, short-lived.
 */
function workloadIdentity(o: Workload, c: Container, out: Finding[]) {
  const fail = (message: string) =>
    out.push({ rule: 'workload-identity', object: id(o), message: `container ${c.name}: ${message}` });
  const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
  for (const variable of ['OIDC_ISSUER_URL', 'WORKLOAD_ISSUER_URL']) {
    if (!/^https:\/\//.test(env.get(variable) ?? '')) fail(`${variable} must be an https URL`);
  }
  const volumes = (o.spec.template.spec.volumes ?? []) as unknown as ProjectedVolume[];
  for (const [variable, url] of env) {
    if (!variable.endsWith('_URL') || ['OIDC_ISSUER_URL', 'WORKLOAD_ISSUER_URL', 'DATABASE_URL'].includes(variable))
      continue;
    const service = /^https?:\/\/([a-z0-9-]+)\./.exec(url ?? '')?.[1];
    const tokenVariable = variable.replace(/_URL$/, '_TOKEN_FILE');
    const file = env.get(tokenVariable);
    if (service === undefined || file === undefined) {
      fail(`${variable} has no ${tokenVariable}: calls to ${url} would carry no identity`);
      continue;
    }
    const mount = (c.volumeMounts ?? []).find((m) => file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
    const source = volumes
      .find((v) => v.name === mount?.name)
      ?.projected?.sources?.find(
        (s) => s.serviceAccountToken?.path === file.slice((mount?.mountPath.length ?? 0) + 1),
      )?.serviceAccountToken;
    if (mount === undefined || source === undefined) {
      fail(`${tokenVariable} (${file}) is not a projected service-account token`);
      continue;
    }
    if (mount.readOnly !== true) fail(`the token volume ${mount.name} must be mounted read-only`);
    if (source.audience !== service)
      fail(`the token for ${variable} has audience ${String(source.audience)}, not ${service}`);
    if ((source.expirationSeconds ?? Infinity) > MAX_TOKEN_SECONDS)
      fail(
        `the token for ${variable} lives ${String(source.expirationSeconds ?? 'unbounded')} s, over ${MAX_TOKEN_SECONDS}`,
      );
  }
}

/** The platform's rules for a set of rendered objects (one release or a whole system). */
export function policyFindings(objects: readonly KubeObject[]): Finding[] {
  const out: Finding[] = [];
  const workloads = objects.filter((o): o is Workload => WORKLOAD_KINDS.has(o.kind));
  const inNamespace = (o: KubeObject) => workloads.filter((w) => w.metadata.namespace === o.metadata.namespace);
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');

  for (const w of workloads) {
    podSecurity(w, out);
    containers(w, out);
  }

  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const spec = service['spec'] as {
      selector?: Record<string, string>;
      ports?: { targetPort?: string | number }[];
      type?: string;
    };
    if (spec.type === 'ExternalName') continue;
    const pods = inNamespace(service).filter((w) => matches(spec.selector, w.spec.template.metadata?.labels));
    if (pods.length === 0) {
      out.push({ rule: 'selectors', object: id(service), message: 'its selector matches no pods of this release' });
      continue;
    }
    for (const port of spec.ports ?? []) {
      const found = pods.every((w) =>
        w.spec.template.spec.containers.some((c) =>
          (c.ports ?? []).some((cp) => cp.name === port.targetPort || cp.containerPort === port.targetPort),
        ),
      );
      if (!found)
        out.push({
          rule: 'selectors',
          object: id(service),
          message: `targetPort ${String(port.targetPort)} is not a port of the selected pods`,
        });
    }
  }

  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const spec = pdb['spec'] as {
      selector?: { matchLabels?: Record<string, string> };
      minAvailable?: number | string;
      maxUnavailable?: number | string;
    };
    const targets = inNamespace(pdb).filter((w) =>
      matches(spec.selector?.matchLabels, w.spec.template.metadata?.labels),
    );
    if (targets.length === 0) {
      out.push({ rule: 'pdb', object: id(pdb), message: 'its selector matches no pods' });
      continue;
    }
    for (const w of targets) {
      const hpa = hpas.find(
        (h) =>
          (h['spec'] as { scaleTargetRef: { name: string } }).scaleTargetRef.name === w.metadata.name &&
          h.metadata.namespace === w.metadata.namespace,
      );
      const replicas = hpa ? ((hpa['spec'] as { minReplicas?: number }).minReplicas ?? 1) : (w.spec.replicas ?? 1);
      if (typeof spec.maxUnavailable === 'number' && (spec.maxUnavailable < 1 || spec.maxUnavailable >= replicas)) {
        out.push({
          rule: 'pdb',
          object: id(pdb),
          message: `maxUnavailable ${spec.maxUnavailable} must be at least 1 and below the ${replicas} replicas of ${w.metadata.name}`,
        });
      }
      if (typeof spec.minAvailable === 'number' && spec.minAvailable >= replicas) {
        out.push({
          rule: 'pdb',
          object: id(pdb),
          message: `minAvailable ${spec.minAvailable} leaves no pod of ${w.metadata.name} (${replicas} replicas) evictable`,
        });
      }
    }
  }

  for (const hpa of hpas) {
    const target = (hpa['spec'] as { scaleTargetRef: { name: string; kind: string } }).scaleTargetRef;
    const workload = inNamespace(hpa).find((w) => w.kind === target.kind && w.metadata.name === target.name);
    if (workload === undefined)
      out.push({
        rule: 'hpa',
        object: id(hpa),
        message: `scaleTargetRef ${target.kind} ${target.name} does not exist`,
      });
    else if (workload.spec.replicas !== undefined)
      out.push({
        rule: 'hpa',
        object: id(workload),
        message: 'sets replicas while an HPA scales it (every sync would reset the count)',
      });
  }

  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const w of workloads) {
    const covered = policies.some((p) => {
      const spec = p['spec'] as { podSelector?: { matchLabels?: Record<string, string> }; policyTypes?: string[] };
      return (
        p.metadata.namespace === w.metadata.namespace &&
        matches(spec.podSelector?.matchLabels, w.spec.template.metadata?.labels) &&
        spec.policyTypes?.includes('Ingress') &&
        spec.policyTypes.includes('Egress')
      );
    });
    if (!covered)
      out.push({
        rule: 'network-policy',
        object: id(w),
        message: 'no NetworkPolicy restricts both ingress and egress of its pods',
      });
    const keysReachable = policies.some((p) => {
      const spec = p['spec'] as {
        podSelector?: { matchLabels?: Record<string, string> };
        egress?: { ports?: { port?: number | string }[]; to?: { ipBlock?: unknown }[] }[];
      };
      return (
        p.metadata.namespace === w.metadata.namespace &&
        matches(spec.podSelector?.matchLabels, w.spec.template.metadata?.labels) &&
        (spec.egress ?? []).some(
          (rule) => (rule.ports ?? []).some((port) => port.port === 443) && (rule.to ?? []).some((to) => to.ipBlock),
        )
      );
    });
    if (covered && !keysReachable)
      out.push({
        rule: 'network-policy',
        object: id(w),
        message: 'its NetworkPolicy allows no HTTPS egress to the identity providers’ keys',
      });
  }
  return out;
}
