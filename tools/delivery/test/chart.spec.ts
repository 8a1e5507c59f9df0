import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkChart, formatFindings } from '../src/check-chart';
import { memoryMiB } from '../src/policies';
import { ownValues, platformDefaults, type Values } from '../src/service-charts';

// Run for one chart by the chart's own `test` target (CHART=deploy/charts/<name>), or for every
// service chart when run here.
const ROOT = join(__dirname, '../../..');
const charts = process.env['CHART']
  ? [process.env['CHART']]
  : ['deploy/charts/user-service', 'deploy/charts/order-service', 'deploy/charts/payment-service'];
const { helmBinary } = require('../helm.cjs') as { helmBinary: () => string };

describe.each(charts)('%s', (chart) => {
  const dir = join(ROOT, chart);

  it('declares the Kubernetes it needs (1.30, for the preStop sleep), so an older cluster refuses it at render', async () => {
    await checkChart(dir); // builds the chart's dependencies
    expect(readFileSync(join(dir, 'Chart.yaml'), 'utf8')).toMatch(/^kubeVersion: ">=1\.30\.0-0"$/m);
    const render = (kubeVersion: string) => () =>
      execFileSync(helmBinary(), ['template', 'x', dir, '--kube-version', kubeVersion], { stdio: 'pipe' });
    expect(render('1.29.9')).toThrow(
      /requires kubeVersion: >=1\.30\.0-0 which is incompatible with Kubernetes v1\.29\.9/,
    );
    expect(render('1.30.0')).not.toThrow();
  });

  it('places its pods where a cluster asks (node selector, affinity, tolerations, priority) and refuses what no scheduler takes', () => {
    const render = (scheduling: object) =>
      execFileSync(helmBinary(), ['template', 'x', dir, '--set-json', `scheduling=${JSON.stringify(scheduling)}`], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    const placed = render({
      nodeSelector: { 'karpenter.sh/capacity-type': 'on-demand' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      priorityClassName: 'platform-high',
    });
    expect(placed).toContain('priorityClassName: platform-high');
    expect(placed).toMatch(/nodeSelector:\n\s+karpenter\.sh\/capacity-type: on-demand/);
    expect(placed).toMatch(/tolerations:\n\s+- effect: NoSchedule\n\s+key: dedicated/);
    expect(placed).toContain('requiredDuringSchedulingIgnoredDuringExecution');
    expect(() => render({ tolerations: [{ key: 'dedicated', effect: 'NoScheduleEver' }] })).toThrow(/effect/);
    expect(() => render({ priorityClassName: 'Not A Name' })).toThrow(/priorityClassName/);
  });

  it('lets traffic in from the load balancer subnets and its callers’ pods only, and refuses a CIDR wider than a subnet unless told why', () => {
    const render = (networkPolicy: object) =>
      execFileSync(
        helmBinary(),
        ['template', 'x', dir, '--set-json', `networkPolicy=${JSON.stringify(networkPolicy)}`],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    const callers = [{ namespace: 'order-service', service: 'order-service' }];
    expect(render({ callers })).toMatch(
      /- namespaceSelector:\n\s+matchLabels:\n\s+kubernetes\.io\/metadata\.name: order-service\n\s+podSelector:\n\s+matchLabels:\n\s+app\.kubernetes\.io\/name: order-service/,
    );
    expect(() => render({ loadBalancerCidrs: ['10.0.0.0/16'] })).toThrow(
      /loadBalancerCidrs\/0': '10\.0\.0\.0\/16' does not match/,
    );
    expect(() => render({ databaseCidrs: ['10.0.0.0/19'] })).toThrow(/databaseCidrs\/0/);
    expect(render({ databaseCidrs: ['10.0.16.0/20'] })).toContain('cidr: 10.0.16.0/20');
    const explained = render({
      databaseCidrs: ['10.0.0.0/16'],
      wideCidrReason: 'one VPC-wide range until the subnets split',
    });
    expect(explained).toContain('platform.io/wide-cidr-reason: "one VPC-wide range until the subnets split"');
    expect(explained).toContain('cidr: 10.0.0.0/16');
  });

  it('trusts a private CA for its issuers only when given one: mounted from a ConfigMap, named in NODE_EXTRA_CA_CERTS', () => {
    const render = (...set: string[]) =>
      execFileSync(helmBinary(), ['template', 'x', dir, ...set.flatMap((s) => ['--set', s])], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    expect(render()).not.toMatch(/NODE_EXTRA_CA_CERTS|ca-bundle/);
    const trusting = render('identity.caBundle.configMap=kube-root-ca.crt');
    expect(trusting).toMatch(/- name: NODE_EXTRA_CA_CERTS\n\s+value: "\/var\/run\/secrets\/platform\/ca\/ca\.crt"/);
    expect(trusting).toMatch(/- name: ca-bundle\n\s+mountPath: \/var\/run\/secrets\/platform\/ca\n\s+readOnly: true/);
    expect(trusting).toMatch(
      /- name: ca-bundle\n\s+configMap:\n\s+name: kube-root-ca\.crt\n\s+items:\n\s+- key: ca\.crt\n\s+path: ca\.crt/,
    );
    expect(() => render('identity.caBundle.configMap=Not_A_Name')).toThrow(/caBundle\/configMap/);
  });

  it('renders with default and environment values into objects that pass the Kubernetes schemas and every platform policy', async () => {
    const reports = await checkChart(dir);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const report of reports) {
      expect(formatFindings(report.findings)).toBe('');
      const kinds = report.objects.map((o) => o.kind).sort();
      expect(kinds).toEqual(
        [
          'Deployment',
          // The namespace's default-deny and the service's own.
          'NetworkPolicy',
          'NetworkPolicy',
          'PodDisruptionBudget',
          'Service',
          'ServiceAccount',
          // The Prometheus Operator and Grafana objects come with the environment values.
          ...(report.valueFiles.length > 0 ? ['ServiceMonitor', 'PrometheusRule', 'ConfigMap'] : []),
        ].sort(),
      );
    }
  });

  it('renders the operational defaults the platform promises', async () => {
    const [defaults] = await checkChart(dir);
    const deployment = defaults?.objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        strategy: { rollingUpdate: { maxUnavailable: number } };
        template: {
          spec: Record<string, never> & {
            containers: Record<string, never>[];
            terminationGracePeriodSeconds: number;
            volumes: unknown[];
          };
        };
      };
    };
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0] as unknown as {
      resources: unknown;
      env: { name: string; value?: string; valueFrom?: unknown }[];
      lifecycle: unknown;
    };
    expect(container.resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '100m', memory: '160Mi' },
    });
    // V8 with its compilers: the cheaper pod per read (docs/benchmarks/results.md, "Cost per read").
    expect(container.env.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(
      '--max-old-space-size=48 --max-semi-space-size=4',
    );
    expect(container.env.find((e) => e.name === 'DATABASE_URL')?.valueFrom).toEqual({
      secretKeyRef: { name: expect.stringMatching(/-db$/), key: 'url' },
    });
    expect(container.lifecycle).toEqual({ preStop: { sleep: { seconds: 15 } } });
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15 + 10 + 5);
    // A scratch /tmp, and the projected tokens of a service that calls others (no other volume).
    expect(pod.volumes[0]).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
    expect(pod.volumes.slice(1).map((v) => (v as { name: string }).name)).toEqual(
      chart.endsWith('order-service') ? ['workload-tokens'] : [],
    );
    const service = defaults?.objects.find((o) => o.kind === 'Service') as unknown as {
      spec: { type: string; ports: unknown[] };
    };
    expect(service.spec).toMatchObject({
      type: 'ClusterIP',
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        // GET /metrics alone, for Prometheus (the NetworkPolicy admits the monitoring namespace to it only).
        { name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' },
      ],
    });
  });

  // docs/benchmarks/results.json is written by `npm run bench`: change a budget, re-run it. (A
  // service the benchmark does not measure, such as a newly generated one, has no numbers yet.)
  const results = JSON.parse(readFileSync(join(ROOT, 'docs/benchmarks/results.json'), 'utf8')) as {
    budgets: Record<string, { memoryLimitMiB: number; nodeOptions: string }>;
    runs: Record<string, { peakRssBytes: number; peakRssOtlpDownBytes: number }>;
    costs?: Record<string, Record<'jit' | 'jitless', { usdPerMillionReads: number }>>;
  };
  const service = basename(dir);
  const benchmarked = 'was benchmarked with the memory budget it renders, and its measured peak fits under the limit';
  if (!(service in results.budgets)) it.todo(`${benchmarked} (not measured yet: npm run bench)`);
  else
    it(benchmarked, async () => {
      const production = (await checkChart(dir)).find((r) => r.valueFiles.includes('values-prod.yaml'));
      const container = (
        production?.objects.find((o) => o.kind === 'Deployment' && !o.metadata.name.endsWith('-canary')) as unknown as {
          spec: {
            template: {
              spec: {
                containers: { env: { name: string; value?: string }[]; resources: { limits: { memory: string } } }[];
              };
            };
          };
        }
      ).spec.template.spec.containers[0];
      const benchmarked = results.budgets[service];
      expect(benchmarked).toEqual({
        memoryLimitMiB: memoryMiB(container?.resources.limits.memory),
        cpuLimit: expect.any(String),
        nodeOptions: container?.env.find((e) => e.name === 'NODE_OPTIONS')?.value,
      });
      const run = results.runs[service];
      const peakMiB = Math.max(run?.peakRssBytes ?? Infinity, run?.peakRssOtlpDownBytes ?? Infinity) / 2 ** 20;
      // Peak RSS, collector up and down, at most 85 % of the limit.
      expect(peakMiB).toBeLessThanOrEqual(0.85 * (benchmarked?.memoryLimitMiB ?? 0));
    });

  if (service in results.budgets)
    it('runs in the V8 mode the benchmark found cheaper per read', () => {
      const costs = results.costs?.[service];
      const cheaper =
        (costs?.jit.usdPerMillionReads ?? NaN) <= (costs?.jitless.usdPerMillionReads ?? NaN) ? 'jit' : 'jitless';
      const rendered = /(^|\s)--jitless(\s|$)/.test(results.budgets[service]?.nodeOptions ?? '') ? 'jitless' : 'jit';
      expect(rendered).toBe(cheaper);
    });

  it('is only what differs: one template of the library, its schema linked, values that differ from the defaults', () => {
    expect(readdirSync(join(dir, 'templates'))).toEqual(['platform.yaml']);
    expect(readFileSync(join(dir, 'templates/platform.yaml'), 'utf8')).toBe('{{ include "platform-service.all" . }}\n');
    expect(readlinkSync(join(dir, 'values.schema.json'))).toBe('../platform-service/service-values.schema.json');
    const repeated = sameAsDefault(ownValues(ROOT, basename(dir)), platformDefaults(ROOT));
    expect(repeated).toEqual([]);
  });
});

/** The paths of a chart's own values that only repeat the default. */
function sameAsDefault(own: Values, defaults: Values, path = ''): string[] {
  return Object.entries(own).flatMap(([key, value]) => {
    const base = defaults[key];
    const here = `${path}${key}`;
    const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (isMap(value) && isMap(base) && Object.keys(value).length > 0) return sameAsDefault(value, base, `${here}.`);
    return JSON.stringify(value) === JSON.stringify(base) ? [here] : [];
  });
}
