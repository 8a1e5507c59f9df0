import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { networkPaths } from '../src/gitops-checks';
import { type KubeObject, renderChart } from '../src/helm';
import { schemaFindings } from '../src/kubernetes-schema';

// The kind smoke test (tools/smoke, .github/workflows/cluster-smoke.yml) cannot run here: no
// cluster, no container engine. What can be proven offline is: its script parses and bounds every
// wait, its values render each chart into objects the Kubernetes schemas accept and that trust the
// cluster CA, and its PostgreSQL has the databases the script's Secrets name.
const ROOT = join(__dirname, '../../..');
const SMOKE = join(ROOT, 'tools/smoke');
const SERVICES = ['user-service', 'order-service', 'payment-service'] as const;
const script = readFileSync(join(SMOKE, 'kind.sh'), 'utf8');

type Container = {
  name: string;
  image: string;
  imagePullPolicy: string;
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
};
const deployment = (objects: KubeObject[]) => {
  const found = objects.find((o) => o.kind === 'Deployment') as
    (KubeObject & { spec: { replicas: number; template: { spec: { containers: Container[] } } } }) | undefined;
  if (found === undefined) throw new Error('no Deployment rendered');
  return found;
};

it('kind.sh is valid, executable bash (the workflow runs it directly), and every wait in it is bounded', () => {
  expect(() => execFileSync('bash', ['-n', join(SMOKE, 'kind.sh')])).not.toThrow();
  expect(statSync(join(SMOKE, 'kind.sh')).mode & 0o111).toBe(0o111);
  expect(script).toMatch(/^set -euo pipefail$/m);
  for (const line of script.split('\n').filter((l) => /rollout status|--wait\b/.test(l)))
    expect(line).toMatch(/--timeout[ =]\d+[ms]/);
  for (const call of script.match(/^\s+wait_for .*/gm) ?? []) expect(call).toMatch(/^\s+wait_for \d+ /);
  expect(script).toMatch(/timeout \d+ npx jest/);
});

it('kind.sh runs the pinned helm and kubectl, and enforces Pod Security restricted in every namespace it makes', () => {
  expect(script).toContain("pinnedBinary('helm')");
  expect(script).toContain("pinnedBinary('kubectl')");
  expect(script).toMatch(/^helm\(\) \{ "\$HELM_BIN" "\$@"; \}$/m);
  expect(script).toMatch(/^kubectl\(\) \{ "\$KUBECTL_BIN" "\$@"; \}$/m);
  expect(script).toContain('pod-security.kubernetes.io/enforce=restricted');
  for (const namespace of ['smoke-db', '"$service"']) expect(script).toContain(`restricted_namespace ${namespace}`);
  const workflow = readFileSync(join(ROOT, '.github/workflows/cluster-smoke.yml'), 'utf8');
  expect(workflow).toContain('run: tools/smoke/kind.sh network');
});

/** What kind.sh passes with --set-json: the gateway's issuer, and the API server by Service and node. */
const KEY_SOURCES = [
  { cidr: '172.18.0.1/32', ports: [8443] },
  { cidr: '10.96.0.1/32', ports: [443] },
  { cidr: '172.18.0.2/32', ports: [6443] },
];
const scratch = mkdtempSync(join(tmpdir(), 'smoke-values-'));
const keySourcesFile = join(scratch, 'key-sources.yaml');
writeFileSync(keySourcesFile, stringify({ identity: { keySources: KEY_SOURCES } }));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A service chart as kind.sh installs it. */
const renderForKind = (service: (typeof SERVICES)[number]) =>
  renderChart(join(ROOT, 'deploy/charts', service), {
    releaseName: service,
    namespace: service,
    valueFiles: ['../../services.json', '../../../tools/smoke/values-kind.yaml', keySourcesFile],
    // What kind.sh sets for each release.
    set: {
      'image.repository': `platform/${service}`,
      'identity.oidcIssuerUrl': 'https://172.18.0.1:8443/auth',
      'identity.workloadIssuerUrl': 'https://kubernetes.default.svc.cluster.local',
    },
  });

describe.each(SERVICES)('%s with the smoke values', (service) => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await renderForKind(service);
  });

  it("renders the NetworkPolicies as production does: default-deny, and keys fetched from the cluster's issuers only", () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['default-deny', service]);
    const egress = (policies.find((p) => p.metadata.name === service)?.['spec'] as { egress: unknown[] }).egress;
    for (const { cidr, ports } of KEY_SOURCES)
      expect(egress).toContainEqual({
        ports: ports.map((port) => ({ port, protocol: 'TCP' })),
        to: [{ ipBlock: { cidr } }],
      });
  });

  it('renders objects the Kubernetes schemas accept', () => {
    expect(objects.flatMap((o) => schemaFindings(o).map((m) => `${o.kind}/${o.metadata.name}: ${m}`))).toEqual([]);
  });

  it('runs the image the workflow built and loaded, never pulled, trusting the cluster CA for both issuers', () => {
    const { spec } = deployment(objects);
    const container = spec.template.spec.containers[0] as Container;
    expect(container.image).toBe(`platform/${service}:smoke`);
    expect(container.imagePullPolicy).toBe('Never');
    expect(spec.replicas).toBe(1);
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    expect(env['NODE_EXTRA_CA_CERTS']).toBe('/var/run/secrets/platform/ca/ca.crt');
    expect(env['OIDC_ISSUER_URL']).toBe('https://172.18.0.1:8443/auth');
    expect(JSON.stringify(objects)).toContain('"name":"kube-root-ca.crt"');
  });

  it('uses the database Secret kind.sh creates, for a database the smoke PostgreSQL makes', () => {
    const container = deployment(objects).spec.template.spec.containers[0] as Container;
    const ref = container.env.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef;
    expect(ref).toEqual({ name: `${service}-db`, key: 'url' });
    expect(script).toContain('create secret generic "${service}-db"');
    expect(script).toContain('--from-literal=url=');
    expect(readFileSync(join(SMOKE, 'postgres.yaml'), 'utf8')).toContain(
      `CREATE DATABASE ${service.replace(/-/g, '_')};`,
    );
  });
});

it('lets exactly the declared calls through between the three services (what kind.sh network probes)', async () => {
  const all = (await Promise.all(SERVICES.map(renderForKind))).flat();
  expect(all.filter((o) => o.kind === 'Deployment')).toHaveLength(3);
  expect(networkPaths(all)).toEqual([]);
});

it('the smoke PostgreSQL passes the Kubernetes schemas', () => {
  const objects = parseAllDocuments(readFileSync(join(SMOKE, 'postgres.yaml'), 'utf8')).map(
    (d) => d.toJS() as KubeObject,
  );
  expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap', 'Deployment', 'Service']);
  expect(objects.flatMap((o) => schemaFindings(o))).toEqual([]);
});
