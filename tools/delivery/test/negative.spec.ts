import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkChart, checkObjects, formatFindings } from '../src/check-chart';
import { type KubeObject, renderChart } from '../src/helm';

// Each rule broken on purpose, in a temporary copy of the charts: the render or the check must fail
// with a message that names the rule and where.
const ROOT = join(__dirname, '../../..');
let charts: string;
beforeAll(() => {
  charts = mkdtempSync(join(tmpdir(), 'charts-'));
  cpSync(join(ROOT, 'deploy/charts'), charts, {
    recursive: true,
    filter: (src) => !src.includes('/charts/charts/') && !/\/charts\/[^/]+\/charts(\/|$)/.test(src.slice(ROOT.length)),
  });
});
afterAll(() => rmSync(charts, { recursive: true, force: true }));

const render = (chart: string, values: string) => {
  const file = join(charts, chart, 'broken.yaml');
  writeFileSync(file, values);
  return renderChart(join(charts, chart), { releaseName: chart, namespace: chart, valueFiles: ['broken.yaml'] });
};

describe('values that break the schema or the chart rules fail the render with a clear message', () => {
  it.each([
    ['a wrong type', 'replicaCount: two\n', /replicaCount.*(got string, want integer|expected integer)/i],
    ['an unknown top-level key (a typo)', 'replicas: 3\n', /additional properties 'replicas' not allowed/],
    ['an unknown nested key', 'image:\n  pullPolcy: Always\n', /additional properties 'pullPolcy' not allowed/],
    ['an out-of-range value', 'replicaCount: 0\n', /replicaCount.*minimum/i],
    ['a bad enum value', 'logLevel: verbose\n', /logLevel/],
    [
      'a latest tag',
      'image:\n  tag: latest\n',
      /image tag of the stable track: set image.tag to an immutable version.*"latest" tag is refused/,
    ],
    ['an empty tag', 'image:\n  tag: ""\n', /image tag of the stable track/],
    ['a canary without a tag', 'canary:\n  enabled: true\n', /image tag of the canary track: set canary.image.tag/],
    [
      'a missing secret name',
      'database:\n  existingSecret: ""\n',
      /database.existingSecret: name the existing Secret that holds this service's DATABASE_URL/,
    ],
    [
      'a grace period shorter than the drain',
      'shutdown:\n  terminationGracePeriodSeconds: 10\n',
      /terminationGracePeriodSeconds \(10\) must be at least/,
    ],
    [
      'a PDB with a single replica',
      'replicaCount: 1\n',
      /replicaCount must be at least 2 while the PodDisruptionBudget is enabled/,
    ],
  ])('%s', async (_case, values, message) => {
    await expect(render('user-service', values)).rejects.toThrow(message);
  });
});

describe('objects that break a platform rule are reported by rule and object', () => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await renderChart(join(charts, 'user-service'), {
      releaseName: 'user-service',
      namespace: 'user-service',
    });
  });
  const mutated = (change: (o: KubeObject[]) => void) => {
    const copy = structuredClone(objects);
    change(copy);
    return formatFindings(checkObjects(copy));
  };
  const deployment = (o: KubeObject[]) =>
    o.find((x) => x.kind === 'Deployment') as unknown as {
      spec: Record<string, unknown> & {
        template: { spec: { containers: Record<string, unknown>[] } & Record<string, unknown> };
      };
    };
  const container = (o: KubeObject[]) =>
    deployment(o).spec.template.spec.containers[0] as Record<string, unknown> & {
      securityContext: Record<string, unknown>;
    };

  it('passes as rendered', () => expect(formatFindings(checkObjects(objects))).toBe(''));

  it.each<[string, (o: KubeObject[]) => void, RegExp]>([
    [
      'an unknown field',
      (o) => (deployment(o).spec['replica'] = 3),
      /\[schema\] Deployment user-service\/user-service: Deployment.spec.replica: unknown field/,
    ],
    ['a misspelt container field', (o) => (container(o)['imagePullPolcy'] = 'Always'), /imagePullPolcy: unknown field/],
    ['a wrong type', (o) => (deployment(o).spec['replicas'] = 'two'), /\[schema\].*spec.replicas must be integer/],
    [
      'a writable root filesystem',
      (o) => delete container(o).securityContext['readOnlyRootFilesystem'],
      /\[pod-security\].*readOnlyRootFilesystem must be true/,
    ],
    [
      'privilege escalation',
      (o) => (container(o).securityContext['allowPrivilegeEscalation'] = true),
      /\[pod-security\].*allowPrivilegeEscalation must be false/,
    ],
    [
      'capabilities kept',
      (o) => (container(o).securityContext['capabilities'] = { drop: ['NET_RAW'] }),
      /\[pod-security\].*must drop ALL/,
    ],
    [
      'a host path volume',
      (o) => (deployment(o).spec.template.spec['volumes'] as unknown[]).push({ name: 'h', hostPath: { path: '/' } }),
      /\[pod-security\].*volume h of type hostPath/,
    ],
    ['no resources', (o) => delete container(o)['resources'], /\[resources\].*resources.requests.cpu is missing/],
    ['no readiness probe', (o) => delete container(o)['readinessProbe'], /\[probes\].*readinessProbe is missing/],
    [
      'a probe on a port that does not exist',
      (o) => ((container(o)['livenessProbe'] as { httpGet: { port: string } }).httpGet.port = 'admin'),
      /\[probe-ports\].*livenessProbe port admin/,
    ],
    ['a latest image', (o) => (container(o)['image'] = 'ghcr.io/platform/user-service:latest'), /\[image-tag\]/],
    [
      'a Service selecting nothing',
      (o) =>
        ((
          o.find((x) => x.kind === 'Service') as unknown as { spec: { selector: Record<string, string> } }
        ).spec.selector = { app: 'other' }),
      /\[selectors\] Service user-service\/user-service: its selector matches no pods/,
    ],
    [
      'a PDB as large as the replicas',
      (o) =>
        ((o.find((x) => x.kind === 'PodDisruptionBudget') as unknown as { spec: Record<string, unknown> }).spec[
          'maxUnavailable'
        ] = 2),
      /\[pdb\].*maxUnavailable 2 must be at least 1 and below the 2 replicas/,
    ],
    [
      'no NetworkPolicy',
      (o) => {
        for (let i = o.length - 1; i >= 0; i--) if (o[i]?.kind === 'NetworkPolicy') o.splice(i, 1);
      },
      /\[network-policy\] Deployment user-service\/user-service/,
    ],
    [
      'a mounted token',
      (o) => (deployment(o).spec.template.spec['automountServiceAccountToken'] = true),
      /\[service-account-token\]/,
    ],
    ['two objects with one name', (o) => o.push(structuredClone(o[0] as KubeObject)), /\[unique\]/],
    [
      'heap caps that do not fit the memory limit',
      (o) =>
        (container(o)['env'] as { name: string; value?: string }[]).forEach((e) => {
          if (e.name === 'NODE_OPTIONS') e.value = '--jitless --max-old-space-size=96 --max-semi-space-size=2';
        }),
      /\[memory-budget\].*heap caps 96 \+ 3 × 2 MiB and 64 MiB outside the heap \(with --jitless\) need 166 MiB, over its 160 MiB limit/,
    ],
    [
      'the JIT (its compiled code and compilation memory) in a limit sized for --jitless',
      (o) => {
        (container(o)['resources'] as { limits: { memory: string } }).limits.memory = '128Mi';
      },
      /\[memory-budget\].*48 \+ 3 × 4 MiB and 96 MiB outside the heap \(without --jitless\) need 156 MiB, over its 128 MiB limit/,
    ],
    [
      'an issuer over plain HTTP',
      (o) =>
        (container(o)['env'] as { name: string; value?: string }[]).forEach((e) => {
          if (e.name === 'OIDC_ISSUER_URL') e.value = 'http://keycloak.identity.svc/realms/platform';
        }),
      /\[workload-identity\].*OIDC_ISSUER_URL must be an https URL/,
    ],
    [
      'no egress to the identity providers’ keys',
      (o) => {
        const policy = o.find((x) => x.kind === 'NetworkPolicy' && x.metadata.name === 'user-service') as unknown as {
          spec: { egress: { ports?: { port: number }[] }[] };
        };
        policy.spec.egress = policy.spec.egress.filter((rule) => !(rule.ports ?? []).some((p) => p.port === 443));
      },
      /\[network-policy\].*no HTTPS egress to the identity providers’ keys/,
    ],
    [
      'a memory limit too small for the heap caps',
      (o) => ((container(o)['resources'] as { limits: Record<string, string> }).limits['memory'] = '100Mi'),
      /\[memory-budget\].*over its 100 MiB limit/,
    ],
  ])('%s', (_case, change, message) => {
    expect(mutated(change)).toMatch(message);
  });
});

describe('order-service calls with its own projected tokens, each for the service it calls', () => {
  let objects: KubeObject[];
  beforeAll(async () => {
    // Whom it calls comes from the system's manifest, as its Application gives it.
    objects = await renderChart(join(charts, 'order-service'), {
      releaseName: 'order-service',
      namespace: 'order-service',
      valueFiles: [join(ROOT, 'deploy/services.json')],
    });
  });
  const pod = (o: KubeObject[]) =>
    (
      o.find((x) => x.kind === 'Deployment') as unknown as {
        spec: {
          template: {
            spec: {
              containers: { env: { name: string; value?: string }[]; volumeMounts: { readOnly?: boolean }[] }[];
              volumes: { name: string; projected?: { sources: { serviceAccountToken: Record<string, unknown> }[] } }[];
            };
          };
        };
      }
    ).spec.template.spec;
  const tokenSources = (o: KubeObject[]) =>
    pod(o)
      .volumes.find((v) => v.name === 'workload-tokens')
      ?.projected?.sources.map((s) => s.serviceAccountToken);

  it('mounts a token per service called, for that audience, short-lived, and points the settings at them', () => {
    expect(tokenSources(objects)).toEqual([
      { audience: 'payment-service', expirationSeconds: 600, path: 'payment-service' },
      { audience: 'user-service', expirationSeconds: 600, path: 'user-service' },
    ]);
    const env = Object.fromEntries(pod(objects).containers[0]?.env.map((e) => [e.name, e.value]) ?? []);
    expect(env).toMatchObject({
      USER_SERVICE_TOKEN_FILE: '/var/run/secrets/platform/tokens/user-service',
      PAYMENT_SERVICE_TOKEN_FILE: '/var/run/secrets/platform/tokens/payment-service',
      WORKLOAD_AUDIENCE: 'order-service',
      WORKLOAD_ALLOWED_CALLERS: '',
    });
    expect(formatFindings(checkObjects(objects))).toBe('');
  });

  it.each<[string, (o: KubeObject[]) => void, RegExp]>([
    [
      'a token for the wrong audience',
      (o) => (((tokenSources(o) ?? [])[0] as Record<string, unknown>)['audience'] = 'user-service'),
      /\[workload-identity\].*the token for PAYMENT_SERVICE_URL has audience user-service, not payment-service/,
    ],
    [
      'a long-lived token',
      (o) => (((tokenSources(o) ?? [])[1] as Record<string, unknown>)['expirationSeconds'] = 86_400),
      /\[workload-identity\].*lives 86400 s, over 3600/,
    ],
    [
      'a call without a token',
      (o) => {
        const container = pod(o).containers[0];
        if (container) container.env = container.env.filter((e) => e.name !== 'USER_SERVICE_TOKEN_FILE');
      },
      /\[workload-identity\].*USER_SERVICE_URL has no USER_SERVICE_TOKEN_FILE/,
    ],
    [
      'a writable token mount',
      (o) => pod(o).containers[0]?.volumeMounts.forEach((m) => (m.readOnly = false)),
      /\[workload-identity\].*must be mounted read-only/,
    ],
  ])('reports %s', (_case, change, message) => {
    const copy = structuredClone(objects);
    change(copy);
    expect(formatFindings(checkObjects(copy))).toMatch(message);
  });
});

describe('a library chart change that breaks a rule fails every service chart built on it', () => {
  it('fails user-service when the library drops readOnlyRootFilesystem', async () => {
    const template = join(charts, 'platform-service/templates/_deployment.tpl');
    writeFileSync(
      template,
      readFileSync(template, 'utf8').replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'),
    );
    const chart = join(charts, 'user-service');
    rmSync(join(chart, 'charts'), { recursive: true, force: true });
    const [report] = await checkChart(chart);
    expect(formatFindings(report?.findings ?? [])).toMatch(
      /\[pod-security\] Deployment user-service\/user-service: container user-service: readOnlyRootFilesystem must be true/,
    );
  });
});
