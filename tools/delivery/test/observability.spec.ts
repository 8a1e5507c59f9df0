import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { WorkloadTokens } from '@platform/local-stack';
import {
  builtServiceArgs,
  freePort,
  type RunningProcess,
  startNode,
  waitForHttp,
  STARTUP_HOOK_TIMEOUT_MS,
  toolFromScript,
  toolPresent,
  underCi,
} from '@platform/testing';
import pg from 'pg';
import { stringify } from 'yaml';
import { dashboardExpressions, dashboardPath, dashboards, render, SERVICES, type Service } from '../src/dashboards';
import { type KubeObject, renderChart } from '../src/helm';

// The SLOs, alerts and dashboards the charts ship, proven offline: promtool checks every rule
// group and runs unit tests that feed synthetic series to every alert; every dashboard expression
// parses; every metric and label a rule or a dashboard uses exists in a real scrape of the running
// services; every runbook_url points to a section that exists.
const ROOT = join(__dirname, '../../..');
const RUNBOOKS = join(ROOT, 'docs/runbooks');

const promtoolFound = toolFromScript('tools/prometheus/promtool.sh', ['bin']);
const promtoolBin = promtoolFound.path === undefined ? undefined : join(promtoolFound.path, 'promtool');
toolPresent(
  'promtool',
  promtoolBin !== undefined,
  `the rule checks and alert unit tests need it: ${promtoolFound.why}`,
  ".ci/run fetches it first (tools/prometheus/promtool.sh bin: Debian's prometheus package)",
);
const withPromtool = promtoolBin === undefined ? it.skip : it;
const promtool = (args: string[], cwd: string) => {
  try {
    return execFileSync(promtoolBin as string, args, { cwd, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
};

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

const rendered: Partial<Record<Service, KubeObject[]>> = {};
let overview: KubeObject[] = [];
const groupsOf = (service: Service): RuleGroup[] => {
  const rule = rendered[service]?.find((o) => o.kind === 'PrometheusRule');
  return ((rule?.['spec'] as { groups: RuleGroup[] } | undefined)?.groups ?? []) as RuleGroup[];
};
const rulesOf = (service: Service) => groupsOf(service).flatMap((g) => g.rules);
const alertsOf = (service: Service) => rulesOf(service).filter((r) => r.alert !== undefined);

beforeAll(async () => {
  for (const service of SERVICES) {
    // As its Application renders it: the manifest, the shared production layer, its own.
    rendered[service] = await renderChart(join(ROOT, 'deploy/charts', service), {
      releaseName: service,
      namespace: service,
      valueFiles: ['../../services.json', '../../values-prod.yaml', 'values-prod.yaml'],
    });
  }
  overview = await renderChart(join(ROOT, 'deploy/charts/shared-ingress'), {
    releaseName: 'shared-ingress',
    namespace: 'shared-ingress',
    valueFiles: ['../../services.json', 'values-prod.yaml'],
  });
}, STARTUP_HOOK_TIMEOUT_MS);

describe('dashboards', () => {
  it('are generated from the charts’ values, and the committed JSON is what the generator makes', () => {
    for (const { chart, file, json } of dashboards(ROOT)) {
      const path = dashboardPath(ROOT, chart, file);
      if (process.env['UPDATE_DASHBOARDS']) {
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, render(json));
      }
      expect({ path, json: existsSync(path) ? readFileSync(path, 'utf8') : '' }).toEqual({ path, json: render(json) });
    }
  });

  it('link to each other: the overview to every service’s dashboard, each service back to the overview', () => {
    const all = dashboards(ROOT).map(({ json }) => json as { uid: string; links: { url: string; title: string }[] });
    const uids = new Set(all.map((d) => d.uid));
    const overviewJson = all.find((d) => d.uid === 'platform-overview');
    expect(overviewJson?.links.map((l) => l.url).sort()).toEqual(SERVICES.map((s) => `/d/${s}`).sort());
    for (const dashboard of all) {
      for (const link of dashboard.links) expect(uids.has(link.url.replace(/^\/d\//, ''))).toBe(true);
      if (dashboard.uid !== 'platform-overview')
        expect(dashboard.links.map((l) => l.url)).toEqual(['/d/platform-overview']);
    }
  });

  it('ship as ConfigMaps for the Grafana sidecar: one per service chart, the overview in the shared ingress', () => {
    for (const service of SERVICES) {
      const maps = (rendered[service] ?? []).filter(
        (o) => o.kind === 'ConfigMap' && o.metadata.labels?.['grafana_dashboard'] === '1',
      );
      expect(maps.map((m) => Object.keys(m['data'] as object))).toEqual([[`${service}.json`]]);
      expect(maps[0]?.metadata.annotations).toEqual({ grafana_folder: 'Platform' });
      expect(JSON.parse((maps[0]?.['data'] as Record<string, string>)[`${service}.json`] ?? '')).toMatchObject({
        uid: service,
      });
    }
    const map = overview.find((o) => o.kind === 'ConfigMap');
    expect(JSON.parse((map?.['data'] as Record<string, string>)['platform-overview.json'] ?? '')).toMatchObject({
      uid: 'platform-overview',
    });
  });
});

describe('alerts', () => {
  it('every service renders its PrometheusRule with the SLO recording rules and its alerts', () => {
    const common = [
      'ServiceErrorBudgetBurnFast',
      'ServiceErrorBudgetBurnSlow',
      'ServiceReadLatencyBudgetBurnFast',
      'ServiceReadLatencyBudgetBurnSlow',
      'ServiceWriteLatencyBudgetBurnFast',
      'ServiceWriteLatencyBudgetBurnSlow',
      'ServicePodRestarting',
      'ServicePodOOMKilled',
      'ServiceNotReady',
      'ServiceMemoryNearLimit',
      'ServiceEventLoopLagging',
      'ServiceDatabasePoolSaturated',
    ];
    const tasks = ['ServiceBackgroundTaskFailing', 'ServiceRepairedHalfFinishedWork'];
    expect(alertsOf('user-service').map((a) => a.alert)).toEqual(common);
    expect(alertsOf('payment-service').map((a) => a.alert)).toEqual([...common, ...tasks]);
    expect(alertsOf('order-service').map((a) => a.alert)).toEqual([...common, ...tasks, 'ServiceDependencyFailing']);
    for (const service of SERVICES) {
      expect(rulesOf(service).filter((r) => r.record !== undefined)).toHaveLength(21);
    }
  });

  it('every alert has a severity, a summary naming the service, and a runbook_url to a section that exists', () => {
    const anchors = new Map<string, Set<string>>();
    for (const service of SERVICES) {
      for (const alert of alertsOf(service)) {
        expect(['page', 'ticket', 'warning']).toContain(alert.labels?.['severity']);
        expect(alert.labels?.['service']).toBe(service);
        expect(alert.annotations?.['summary']).toContain(service);
        const url = alert.annotations?.['runbook_url'] ?? '';
        const match =
          /^https:\/\/github\.com\/platform-org\/platform\/blob\/main\/docs\/runbooks\/([a-z-]+\.md)#([a-z0-9-]+)$/.exec(
            url,
          );
        expect({ alert: alert.alert, url, match: match !== null }).toEqual({ alert: alert.alert, url, match: true });
        const [, file, anchor] = match as RegExpExecArray;
        if (!anchors.has(file as string)) anchors.set(file as string, headingAnchors(join(RUNBOOKS, file as string)));
        expect({ url, exists: anchors.get(file as string)?.has(anchor as string) }).toEqual({ url, exists: true });
      }
    }
  });

  withPromtool('promtool checks every rendered rule group', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    try {
      for (const service of SERVICES) {
        writeFileSync(join(dir, `${service}.rules.yaml`), stringify({ groups: groupsOf(service) }));
        expect(promtool(['check', 'rules', '--lint-fatal', `${service}.rules.yaml`], dir)).toMatch(
          /SUCCESS: \d+ rules found/,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  withPromtool('every alert fires on the synthetic series that should fire it, and stays quiet on the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rule-tests-'));
    try {
      for (const service of SERVICES) {
        writeFileSync(join(dir, `${service}.rules.yaml`), stringify({ groups: groupsOf(service) }));
        const cases = alertCases(service);
        // Every alert of the service has a case that fires it and one that does not.
        expect([...new Set(cases.filter((c) => c.fires.length > 0).map((c) => c.alert))].sort()).toEqual(
          alertsOf(service)
            .map((a) => a.alert as string)
            .sort(),
        );
        expect([...new Set(cases.filter((c) => c.fires.length === 0).map((c) => c.alert))].sort()).toEqual(
          alertsOf(service)
            .map((a) => a.alert as string)
            .sort(),
        );
        const tests = cases.map((c) => ({
          interval: '1m',
          input_series: c.series.map(([series, values]) => ({ series, values })),
          alert_rule_test: [
            {
              eval_time: c.at,
              alertname: c.alert,
              exp_alerts: c.fires.map((labels) => {
                const rule = alertsOf(service).find((a) => a.alert === c.alert) as Rule;
                const all = { ...rule.labels, ...labels };
                return { exp_labels: all, exp_annotations: expand(rule.annotations ?? {}, all) };
              }),
            },
          ],
        }));
        writeFileSync(
          join(dir, `${service}.test.yaml`),
          stringify({ rule_files: [`${service}.rules.yaml`], evaluation_interval: '1m', tests }),
        );
        expect(promtool(['test', 'rules', `${service}.test.yaml`], dir)).toMatch(/SUCCESS/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  withPromtool('every dashboard expression parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-exprs-'));
    try {
      // Each expression as a recording rule: promtool parses them all, with Grafana's variables filled in.
      const rules = dashboardExpressions(ROOT).map(({ expr }, index) => ({
        record: `dashboard:expr_${index}`,
        expr: grafanaFilled(expr),
      }));
      writeFileSync(join(dir, 'dashboards.rules.yaml'), stringify({ groups: [{ name: 'dashboards', rules }] }));
      expect(promtool(['check', 'rules', '--lint-fatal', 'dashboards.rules.yaml'], dir)).toContain(
        `SUCCESS: ${rules.length} rules found`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backup alerts (velero/schedules)', () => {
  let rules: Rule[] = [];
  let groups: RuleGroup[] = [];
  beforeAll(async () => {
    const objects = await renderChart(join(ROOT, 'velero/schedules'), {
      releaseName: 'velero-schedules',
      namespace: 'velero',
    });
    groups = (objects.find((o) => o.kind === 'PrometheusRule')?.['spec'] as { groups: RuleGroup[] }).groups;
    rules = groups.flatMap((g) => g.rules);
  });

  it('alert on failed and missing backups, with a runbook section for each', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'VeleroBackupFailed',
      'VeleroNotScraped',
      'VeleroBackupMissing',
      'VeleroBackupNeverSucceeded',
      'VeleroBackupMissing',
      'VeleroBackupNeverSucceeded',
    ]);
    for (const rule of rules) {
      const [, anchor] = /#([a-z0-9-]+)$/.exec(rule.annotations?.['runbook_url'] ?? '') ?? [];
      expect(headingAnchors(join(RUNBOOKS, 'backups.md')).has(anchor as string)).toBe(true);
    }
  });

  withPromtool(
    'pass promtool and fire exactly when a backup failed, a schedule went quiet or its metrics are missing',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'velero-rules-'));
      try {
        writeFileSync(join(dir, 'velero.rules.yaml'), stringify({ groups }));
        expect(promtool(['check', 'rules', '--lint-fatal', 'velero.rules.yaml'], dir)).toMatch(
          /SUCCESS: 6 rules found/,
        );
        const named = (alert: string, schedule?: string) =>
          rules.find(
            (r) => r.alert === alert && (schedule === undefined || r.labels?.['schedule'] === schedule),
          ) as Rule;
        const failed = named('VeleroBackupFailed');
        const missing = named('VeleroBackupMissing', 'daily');
        const neverSucceeded = named('VeleroBackupNeverSucceeded', 'daily');
        const notScraped = named('VeleroNotScraped');
        const hour = 3600;
        const tests = [
          {
            interval: '10m',
            input_series: [
              { series: 'velero_backup_failure_total{schedule="daily"}', values: '0x6 1x6' },
              { series: 'velero_backup_partial_failure_total{schedule="daily"}', values: '0x12' },
              { series: 'velero_backup_failure_total{schedule="weekly"}', values: '0x12' },
              { series: 'velero_backup_partial_failure_total{schedule="weekly"}', values: '0x12' },
            ],
            alert_rule_test: [
              {
                eval_time: '70m',
                alertname: 'VeleroBackupFailed',
                exp_alerts: [
                  {
                    exp_labels: { ...failed.labels, schedule: 'daily' },
                    exp_annotations: expand(failed.annotations ?? {}, { schedule: 'daily' }),
                  },
                ],
              },
              { eval_time: '30m', alertname: 'VeleroBackupFailed', exp_alerts: [] },
            ],
          },
          {
            interval: '1h',
            input_series: [
              // The last success at the start; the weekly one keeps succeeding within its week.
              { series: 'velero_backup_last_successful_timestamp{schedule="daily"}', values: '0x30' },
              { series: 'velero_backup_last_successful_timestamp{schedule="weekly"}', values: `0x20 ${20 * hour}x10` },
            ],
            alert_rule_test: [
              { eval_time: '25h', alertname: 'VeleroBackupMissing', exp_alerts: [] },
              {
                eval_time: '27h',
                alertname: 'VeleroBackupMissing',
                exp_alerts: [
                  { exp_labels: { ...missing.labels, schedule: 'daily' }, exp_annotations: missing.annotations },
                ],
              },
              // Both schedules have succeeded once: the absent cases stay quiet.
              { eval_time: '27h', alertname: 'VeleroBackupNeverSucceeded', exp_alerts: [] },
            ],
          },
          {
            // Velero is scraped, but the daily schedule has never succeeded (no timestamp at all); the
            // weekly one succeeded at the start.
            interval: '1h',
            input_series: [
              { series: 'up{job="velero", namespace="velero"}', values: '1x30' },
              { series: 'velero_backup_last_successful_timestamp{schedule="weekly"}', values: '0x30' },
            ],
            alert_rule_test: [
              { eval_time: '25h', alertname: 'VeleroBackupNeverSucceeded', exp_alerts: [] },
              {
                eval_time: '27h',
                alertname: 'VeleroBackupNeverSucceeded',
                exp_alerts: [{ exp_labels: neverSucceeded.labels, exp_annotations: neverSucceeded.annotations }],
              },
              // Nothing else looks at a metric that is not there.
              { eval_time: '27h', alertname: 'VeleroBackupMissing', exp_alerts: [] },
              { eval_time: '27h', alertname: 'VeleroNotScraped', exp_alerts: [] },
            ],
          },
          {
            // Velero not scraped at all: its target is down, then gone.
            interval: '5m',
            input_series: [{ series: 'up{job="velero", namespace="velero"}', values: '1x2 0x4' }],
            alert_rule_test: [
              { eval_time: '10m', alertname: 'VeleroNotScraped', exp_alerts: [] },
              {
                eval_time: '40m',
                alertname: 'VeleroNotScraped',
                exp_alerts: [{ exp_labels: notScraped.labels, exp_annotations: notScraped.annotations }],
              },
              {
                eval_time: '2h',
                alertname: 'VeleroNotScraped',
                exp_alerts: [{ exp_labels: notScraped.labels, exp_annotations: notScraped.annotations }],
              },
            ],
          },
        ];
        writeFileSync(
          join(dir, 'velero.test.yaml'),
          stringify({ rule_files: ['velero.rules.yaml'], evaluation_interval: '1m', tests }),
        );
        expect(promtool(['test', 'rules', 'velero.test.yaml'], dir)).toMatch(/SUCCESS/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

/** The metrics other exporters provide (kube-state-metrics, Velero): not in the services' own scrape. */
const EXTERNAL = /^(kube|velero)_/;
/** Labels Prometheus attaches to every target's series, never the service itself. */
const TARGET_LABELS = new Set(['job', 'namespace', 'pod', 'instance', 'container']);

describe('every metric and label a rule or a dashboard uses exists in a real scrape of the running services', () => {
  const scrapes = new Map<Service, Map<string, Set<string>>>();
  const children: RunningProcess[] = [];
  let issuer: TestIssuer;
  let tokens: WorkloadTokens;
  let scratch: string;
  let pgDir: string | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'observability-'));
    issuer = await TestIssuer.start();
    tokens = new WorkloadTokens(issuer.local, join(scratch, 'tokens'));
    await tokens.start();
    // A real PostgreSQL server when the machine has one: the pool metrics exist only there.
    const databaseUrls = await startPostgres().then(
      (result) => {
        pgDir = result?.dir;
        return result?.urls;
      },
      (error: unknown) => {
        if (underCi()) throw error;
        return undefined;
      },
    );
    const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()]))) as Record<
      Service,
      number
    >;
    const url = (service: Service) => `http://127.0.0.1:${ports[service]}`;
    for (const service of SERVICES) {
      const child = startNode(builtServiceArgs(join(ROOT, 'dist/apps', service)), {
        env: {
          PATH: process.env['PATH'],
          PORT: String(ports[service]),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'error',
          ...(databaseUrls === undefined
            ? { DATA_DIR: join(scratch, service) }
            : { DATABASE_URL: databaseUrls[service] }),
          ...issuer.environment(),
          ...tokens.environment(service),
          USER_SERVICE_URL: url('user-service'),
          PAYMENT_SERVICE_URL: url('payment-service'),
          RECONCILE_INTERVAL_MS: '200',
          SETTLE_INTERVAL_MS: '200',
        },
        keepLines: 200,
      });
      children.push(child);
      await waitForHttp(`${url(service)}/health/ready`, { process: child });
    }
    // Traffic through every kind of route: reads, writes, a call to each dependency, errors.
    const person = bearer(await issuer.person(`observed-${randomUUID()}`));
    const json = { 'content-type': 'application/json', ...person };
    const user = (await (
      await fetch(`${url('user-service')}/users`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email: `observed-${randomUUID()}@example.com`, name: 'Observed' }),
      })
    ).json()) as { id: string };
    await fetch(`${url('user-service')}/users/${user.id}`, { headers: person });
    const order = (await (
      await fetch(`${url('order-service')}/orders`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          userId: user.id,
          currency: 'EUR',
          items: [{ sku: 'OBS', quantity: 1, unitPriceCents: 100 }],
        }),
      })
    ).json()) as { id: string };
    await fetch(`${url('order-service')}/orders/${order.id}/pay`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ paymentMethod: { type: 'card', token: 'tok_visa' } }),
    });
    await fetch(`${url('order-service')}/orders/${order.id}`, { headers: person });
    await fetch(`${url('payment-service')}/payments?reference=${order.id}`, { headers: bearer(await issuer.admin()) });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a few background runs
    for (const service of SERVICES)
      scrapes.set(service, parseScrape(await (await fetch(`${url(service)}/metrics`)).text()));
  }, STARTUP_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop('SIGTERM')));
    tokens?.stop();
    await issuer?.close();
    if (pgDir !== undefined) {
      execFileSync(join(ROOT, 'tools/postgres/throwaway.sh'), ['stop', pgDir]);
      rmSync(pgDir, { recursive: true, force: true });
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it.each(SERVICES)('%s: its rules and its dashboard', (service) => {
    const recorded = new Set(rulesOf(service).flatMap((r) => (r.record === undefined ? [] : [r.record])));
    const exprs = [
      ...rulesOf(service).map((r) => ({ where: r.alert ?? r.record, expr: r.expr })),
      ...dashboardExpressions(ROOT).filter((e) => e.where.startsWith(`${service}.json`)),
    ];
    expect(missingIn(exprs, [scrapes.get(service) as Map<string, Set<string>>], recorded)).toEqual([]);
  });

  it('the overview dashboard', () => {
    const recorded = new Set(
      SERVICES.flatMap((s) => rulesOf(s).flatMap((r) => (r.record === undefined ? [] : [r.record]))),
    );
    const exprs = dashboardExpressions(ROOT).filter((e) => e.where.startsWith('platform-overview.json'));
    expect(missingIn(exprs, [...scrapes.values()], recorded)).toEqual([]);
  });
});

/** The metric names and label matchers of each expression that no scrape has (or no recording rule records). */
function missingIn(
  exprs: readonly { where?: string; expr: string }[],
  scrapes: readonly Map<string, Set<string>>[],
  recorded: ReadonlySet<string>,
): string[] {
  const missing: string[] = [];
  for (const { where, expr } of exprs) {
    for (const [, name, matchers] of grafanaFilled(expr).matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
      const metric = name as string;
      if (EXTERNAL.test(metric)) continue;
      if (metric.includes(':')) {
        if (!recorded.has(metric)) missing.push(`${where}: ${metric} is recorded by no rule`);
        continue;
      }
      const labels = scrapes.map((scrape) => scrape.get(metric)).find((found) => found !== undefined);
      if (labels === undefined) {
        missing.push(`${where}: no scrape has ${metric}`);
        continue;
      }
      for (const [, label] of (matchers as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
        // A family with no samples yet (a counter nothing has incremented) cannot show its labels.
        if (!TARGET_LABELS.has(label as string) && labels.size > 0 && !labels.has(label as string)) {
          missing.push(`${where}: ${metric} has no label ${label}`);
        }
      }
    }
  }
  return missing;
}

/** Metric names (samples, and families announced by # TYPE) with the labels their samples carry. */
function parseScrape(text: string): Map<string, Set<string>> {
  const metrics = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const family = /^# TYPE (\S+) (\S+)/.exec(line);
    if (family !== null) {
      const [, name, type] = family as unknown as [string, string, string];
      const names = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) if (!metrics.has(n)) metrics.set(n, new Set());
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (sample === null) continue;
    const labels = metrics.get(sample[1] as string) ?? new Set<string>();
    for (const [, label] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(label as string);
    metrics.set(sample[1] as string, labels);
  }
  return metrics;
}

/** Grafana's variables as Prometheus would see them once Grafana filled them in. */
const grafanaFilled = (expr: string) =>
  expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', 'ns').replaceAll('$service', 'user-service');

/** The anchors GitHub gives the headings of a Markdown file. */
function headingAnchors(file: string): Set<string> {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return new Set(
    [...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, heading]) =>
      (heading as string)
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

/** Annotations as Prometheus expands them for an alert with these labels. */
const expand = (annotations: Record<string, string>, labels: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(annotations).map(([key, value]) => [
      key,
      value.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, label: string) => labels[label] ?? ''),
    ]),
  );

interface AlertCase {
  readonly alert: string;
  /** Series and their values (promtool's expanding notation), one sample a minute. */
  readonly series: readonly (readonly [string, string])[];
  readonly at: string;
  /** The labels of each alert expected to fire (besides the rule's own); none: quiet. */
  readonly fires: readonly Record<string, string>[];
}

/** Cases for every alert of a service: synthetic series that must fire it, and some that must not. */
function alertCases(service: Service): AlertCase[] {
  const t = `job="${service}",namespace="${service}"`;
  const requests = (ok: string, failed: string): [string, string][] => [
    [`http_server_requests_total{${t},route="/things/:id",method="GET",status_code="200"}`, ok],
    [`http_server_requests_total{${t},route="/things/:id",method="GET",status_code="500"}`, failed],
    // Probes and unknown paths never count, however badly they go.
    [`http_server_requests_total{${t},route="/health/ready",method="GET",status_code="503"}`, '0+1000x90'],
    [`http_server_requests_total{${t},route="unmatched",method="GET",status_code="500"}`, '0+1000x90'],
  ];
  const latency = (method: string, le: string, fast: string): [string, string][] => [
    [`http_server_request_duration_seconds_bucket{${t},route="/things",method="${method}",le="${le}"}`, fast],
    [`http_server_request_duration_seconds_count{${t},route="/things",method="${method}"}`, '0+600x90'],
  ];
  const burn = (alert: string, series: [string, string][], quiet: [string, string][], slowOnly: [string, string][]) => [
    { alert: `${alert}Fast`, series, at: '70m', fires: [{}] },
    { alert: `${alert}Fast`, series: quiet, at: '70m', fires: [] },
    // Burning at five times the budget: a ticket, not a page.
    { alert: `${alert}Fast`, series: slowOnly, at: '70m', fires: [] },
    { alert: `${alert}Slow`, series: slowOnly, at: '70m', fires: [{}] },
    { alert: `${alert}Slow`, series: quiet, at: '70m', fires: [] },
  ];
  const pod = `${service}-7d9f8-abcde`;
  const memoryAlarm = Number(
    /> (\d+)$/.exec(alertsOf(service).find((a) => a.alert === 'ServiceMemoryNearLimit')?.expr ?? '')?.[1],
  );
  const k = `namespace="${service}",container="${service}",pod="${pod}"`;
  const cases: AlertCase[] = [
    ...burn(
      'ServiceErrorBudgetBurn',
      requests('0+600x90', '0+60x90'),
      requests('0+600x90', '0x90'),
      requests('0+1000x90', '0+5x90'),
    ),
    ...burn(
      'ServiceReadLatencyBudgetBurn',
      latency('GET', '0.25', '0+500x90'),
      latency('GET', '0.25', '0+600x90'),
      latency('GET', '0.25', '0+576x90'),
    ),
    ...burn(
      'ServiceWriteLatencyBudgetBurn',
      latency('POST', '1', '0+500x90'),
      latency('POST', '1', '0+600x90'),
      latency('POST', '1', '0+576x90'),
    ),
    {
      alert: 'ServicePodRestarting',
      series: [[`kube_pod_container_status_restarts_total{${k}}`, '0+1x40']],
      at: '35m',
      fires: [{ namespace: service, container: service, pod }],
    },
    {
      alert: 'ServicePodRestarting',
      series: [[`kube_pod_container_status_restarts_total{${k}}`, '0x40']],
      at: '35m',
      fires: [],
    },
    {
      alert: 'ServicePodOOMKilled',
      series: [
        [`kube_pod_container_status_last_terminated_reason{${k},reason="OOMKilled"}`, '1x40'],
        [`kube_pod_container_status_restarts_total{${k}}`, '0x30 1x10'],
      ],
      at: '35m',
      fires: [{ namespace: service, container: service, pod, reason: 'OOMKilled' }],
    },
    {
      alert: 'ServicePodOOMKilled',
      series: [
        [`kube_pod_container_status_last_terminated_reason{${k},reason="OOMKilled"}`, '1x40'],
        [`kube_pod_container_status_restarts_total{${k}}`, '1x40'],
      ],
      at: '35m',
      fires: [],
    },
    {
      alert: 'ServiceNotReady',
      series: [[`kube_pod_status_ready{namespace="${service}",pod="${pod}",condition="false"}`, '1x20']],
      at: '15m',
      fires: [{}],
    },
    {
      alert: 'ServiceNotReady',
      series: [[`kube_pod_status_ready{namespace="${service}",pod="${pod}",condition="false"}`, '1x5 0x15']],
      at: '15m',
      fires: [],
    },
    {
      alert: 'ServiceMemoryNearLimit',
      // Just over, and well under, 90 % of the container's memory limit (read from the rendered rule).
      series: [[`process_resident_memory_bytes{${t},pod="${pod}"}`, `${Math.round(memoryAlarm * 1.02)}x20`]],
      at: '15m',
      fires: [{ pod }],
    },
    {
      alert: 'ServiceMemoryNearLimit',
      series: [[`process_resident_memory_bytes{${t},pod="${pod}"}`, `${Math.round(memoryAlarm * 0.8)}x20`]],
      at: '15m',
      fires: [],
    },
    {
      alert: 'ServiceEventLoopLagging',
      series: [[`nodejs_eventloop_lag_p99_seconds{${t},pod="${pod}"}`, '0.8x20']],
      at: '15m',
      fires: [{ pod }],
    },
    {
      alert: 'ServiceEventLoopLagging',
      series: [[`nodejs_eventloop_lag_p99_seconds{${t},pod="${pod}"}`, '0.05x20']],
      at: '15m',
      fires: [],
    },
    ...[true, false].map((saturated) => ({
      alert: 'ServiceDatabasePoolSaturated',
      series: [
        [`db_client_connections_pending_requests{${t},pod="${pod}"}`, saturated ? '4x20' : '0x20'],
        [`db_client_connections{${t},pod="${pod}",state="used"}`, '10x20'],
        [`db_client_connections_max{${t},pod="${pod}"}`, '10x20'],
      ] as [string, string][],
      at: '10m',
      fires: saturated ? [{ pod }] : [],
    })),
  ];
  if (service !== 'user-service') {
    const task = service === 'order-service' ? 'reconcile orders' : 'settle abandoned payments';
    cases.push(
      {
        alert: 'ServiceBackgroundTaskFailing',
        series: [[`background_task_runs_total{${t},task="${task}",outcome="failed"}`, '0+1x30']],
        at: '20m',
        fires: [{ task }],
      },
      {
        alert: 'ServiceBackgroundTaskFailing',
        series: [[`background_task_runs_total{${t},task="${task}",outcome="failed"}`, '0x10 1x20']],
        at: '20m',
        fires: [],
      },
      {
        alert: 'ServiceRepairedHalfFinishedWork',
        series: [[`background_task_repairs_total{${t},task="${task}",repair="a-repair"}`, '0x10 1x20']],
        at: '20m',
        fires: [{ task, repair: 'a-repair' }],
      },
      {
        alert: 'ServiceRepairedHalfFinishedWork',
        series: [[`background_task_repairs_total{${t},task="${task}",repair="a-repair"}`, '1x30']],
        at: '20m',
        fires: [],
      },
    );
  }
  if (service === 'order-service') {
    const calls = (failing: string): [string, string][] => [
      [
        `http_client_request_duration_seconds_count{${t},peer="payment-service",route="/payments",method="POST",status_code="201"}`,
        '0+10x20',
      ],
      [
        `http_client_request_duration_seconds_count{${t},peer="payment-service",route="/payments",method="POST",status_code="503"}`,
        failing,
      ],
    ];
    cases.push(
      { alert: 'ServiceDependencyFailing', series: calls('0+10x20'), at: '15m', fires: [{ peer: 'payment-service' }] },
      { alert: 'ServiceDependencyFailing', series: calls('0x20'), at: '15m', fires: [] },
    );
  }
  return cases;
}

/** A throwaway PostgreSQL server with a database per service, when the machine has the binaries. */
async function startPostgres(): Promise<{ dir: string; urls: Record<Service, string> } | undefined> {
  // Its own folder under the system's temporary one: as root the server runs as `postgres`, which must reach it.
  const dir = mkdtempSync(join(tmpdir(), 'observability-pg-'));
  let adminUrl: string;
  try {
    adminUrl = execFileSync(join(ROOT, 'tools/postgres/throwaway.sh'), ['start', dir, String(await freePort())], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    // Under CI the pool metrics must be proven: no server binaries fails by name there.
    toolPresent(
      'PostgreSQL server binaries',
      false,
      `the pool metrics exist only on a server: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`,
      '.ci/run installs them first (tools/postgres/throwaway.sh install)',
    );
    return undefined;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const urls = {} as Record<Service, string>;
  try {
    for (const service of SERVICES) {
      const name = `${service.replace('-service', '')}_db`;
      await admin.query(`CREATE DATABASE ${name}`);
      urls[service] = adminUrl.replace(/\/postgres$/, `/${name}`);
    }
  } finally {
    await admin.end();
  }
  return { dir, urls };
}
