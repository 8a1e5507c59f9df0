// The Grafana dashboards, as code: one per service and one overview, generated from the charts'
// values (the SLOs) and the system's manifest (the services, whom each one calls) into JSON that the charts ship as ConfigMaps for
// the Grafana sidecar. The delivery tests fail when the committed JSON differs from what this
// generates; `UPDATE_DASHBOARDS=1 npx nx test delivery` writes it.
import { join } from 'node:path';
import { readManifest, serviceEntry, serviceNames } from '@platform/system';
import { serviceCharts, serviceValues } from './service-charts';

/** Every service of the system's manifest: a generated one gets its dashboard and a row of the overview. */
export const SERVICES: readonly string[] = serviceNames;
export type Service = string;

/** What a dashboard needs from a chart's values. */
export interface ServiceObservability {
  readonly service: string;
  readonly availability: number;
  readonly latency: { readonly readSeconds: number; readonly writeSeconds: number; readonly target: number };
  readonly dependencies: readonly string[];
  readonly backgroundTasks: boolean;
}

export function observabilityOf(workspace: string, service: string): ServiceObservability {
  const values = serviceValues(workspace, service) as {
    observability: {
      slo: { availability: number; latency: ServiceObservability['latency'] };
      prometheusRule: { backgroundTasks: boolean };
    };
  };
  const { slo, prometheusRule } = values.observability;
  return {
    service,
    availability: slo.availability,
    latency: slo.latency,
    dependencies: [...serviceEntry(service, readManifest(workspace)).calls].sort(),
    backgroundTasks: prometheusRule.backgroundTasks,
  };
}

interface Target {
  readonly expr: string;
  readonly legendFormat: string;
}
interface Panel {
  readonly title: string;
  readonly description: string;
  readonly kind: 'timeseries' | 'stat';
  readonly unit: string;
  readonly targets: readonly Target[];
  readonly max?: number;
}
interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}

/** Requests that count for the SLO: routed ones, not probes, scrapes or unknown paths. */
const ROUTED = 'route!~"unmatched|/health/.*|/metrics|/openapi.json"';
const RATE = '$__rate_interval';

const timeseries = (title: string, description: string, unit: string, ...targets: Target[]): Panel => ({
  title,
  description,
  kind: 'timeseries',
  unit,
  targets,
});
const stat = (title: string, description: string, unit: string, expr: string, max?: number): Panel => ({
  title,
  description,
  kind: 'stat',
  unit,
  targets: [{ expr, legendFormat: title }],
  max,
});

function serviceRows(o: ServiceObservability): Row[] {
  const sel = `job="${o.service}",namespace="$namespace"`;
  const budget = (100 - o.availability) / 100;
  const errors30d = `(sum(increase(http_server_requests_total{${sel},${ROUTED},status_code=~"5.."}[30d])) / sum(increase(http_server_requests_total{${sel},${ROUTED}}[30d])))`;
  const rows: Row[] = [
    {
      title: 'Requests',
      panels: [
        timeseries('Requests by route', 'Requests per second, by route template and status code.', 'reqps', {
          expr: `sum by (route, status_code) (rate(http_server_requests_total{${sel}}[${RATE}]))`,
          legendFormat: '{{route}} {{status_code}}',
        }),
        timeseries('5xx by route', 'Server errors per second, by route.', 'reqps', {
          expr: `sum by (route) (rate(http_server_requests_total{${sel},status_code=~"5.."}[${RATE}]))`,
          legendFormat: '{{route}}',
        }),
        timeseries(
          'Latency by route',
          'The 50th and 99th percentile of request duration, by route (the buckets link to traces through exemplars).',
          's',
          {
            expr: `histogram_quantile(0.99, sum by (le, route) (rate(http_server_request_duration_seconds_bucket{${sel}}[${RATE}])))`,
            legendFormat: 'p99 {{route}}',
          },
          {
            expr: `histogram_quantile(0.5, sum by (le, route) (rate(http_server_request_duration_seconds_bucket{${sel}}[${RATE}])))`,
            legendFormat: 'p50 {{route}}',
          },
        ),
      ],
    },
    {
      title: 'Service level objectives',
      panels: [
        stat(
          'Availability, 30 days',
          `Share of routed requests that were not 5xx; the objective is ${o.availability} %.`,
          'percentunit',
          `1 - ${errors30d}`,
          1,
        ),
        stat(
          'Error budget left, 30 days',
          `What is left of the 30-day budget of ${(budget * 100).toFixed(2)} % of requests answered 5xx.`,
          'percentunit',
          `1 - ${errors30d} / ${budget}`,
          1,
        ),
        timeseries(
          'Burn rate',
          'How fast the error budget burns (1 = exactly as fast as 30 days allow); the fast alert pages above 14.4 over 1 h.',
          'none',
          { expr: `slo:request_errors:ratio_rate1h{service="${o.service}"} / ${budget}`, legendFormat: 'errors, 1 h' },
          { expr: `slo:request_errors:ratio_rate6h{service="${o.service}"} / ${budget}`, legendFormat: 'errors, 6 h' },
          {
            expr: `slo:read_latency_slow:ratio_rate1h{service="${o.service}"} / ${(100 - o.latency.target) / 100}`,
            legendFormat: `reads over ${o.latency.readSeconds} s, 1 h`,
          },
          {
            expr: `slo:write_latency_slow:ratio_rate1h{service="${o.service}"} / ${(100 - o.latency.target) / 100}`,
            legendFormat: `writes over ${o.latency.writeSeconds} s, 1 h`,
          },
        ),
      ],
    },
  ];
  if (o.dependencies.length > 0) {
    const peers = `peer=~"${o.dependencies.join('|')}"`;
    rows.push({
      title: 'Dependencies',
      panels: [
        timeseries(
          'Calls by peer',
          'Outgoing calls per second, by service called and status code (0: no answer).',
          'reqps',
          {
            expr: `sum by (peer, status_code) (rate(http_client_request_duration_seconds_count{${sel},${peers}}[${RATE}]))`,
            legendFormat: '{{peer}} {{status_code}}',
          },
        ),
        timeseries('Call latency by peer', 'The 99th percentile of outgoing call duration, retries included.', 's', {
          expr: `histogram_quantile(0.99, sum by (le, peer) (rate(http_client_request_duration_seconds_bucket{${sel},${peers}}[${RATE}])))`,
          legendFormat: 'p99 {{peer}}',
        }),
      ],
    });
  }
  rows.push({
    title: 'Runtime',
    panels: [
      timeseries(
        'Memory against the limit',
        'Resident memory per pod, against the container limit; the alert fires above 90 %.',
        'bytes',
        { expr: `process_resident_memory_bytes{${sel}}`, legendFormat: 'RSS {{pod}}' },
        { expr: `nodejs_heap_size_used_bytes{${sel}}`, legendFormat: 'heap used {{pod}}' },
        {
          expr: `max(kube_pod_container_resource_limits{namespace="$namespace",container="${o.service}",resource="memory"})`,
          legendFormat: 'limit',
        },
      ),
      timeseries('Event-loop lag', 'The 99th percentile of event-loop delay per pod.', 's', {
        expr: `nodejs_eventloop_lag_p99_seconds{${sel}}`,
        legendFormat: '{{pod}}',
      }),
      timeseries('Garbage collection', 'Seconds per second spent in garbage collection, by kind.', 's', {
        expr: `sum by (kind) (rate(nodejs_gc_duration_seconds_sum{${sel}}[${RATE}]))`,
        legendFormat: '{{kind}}',
      }),
    ],
  });
  rows.push({
    title: 'Database',
    panels: [
      timeseries(
        'Connection pool',
        'Connections in use and idle, the pool maximum, and requests waiting for a connection.',
        'none',
        { expr: `sum by (state) (db_client_connections{${sel}})`, legendFormat: '{{state}}' },
        { expr: `sum(db_client_connections_max{${sel}})`, legendFormat: 'max' },
        { expr: `sum(db_client_connections_pending_requests{${sel}})`, legendFormat: 'waiting' },
      ),
    ],
  });
  if (o.backgroundTasks) {
    rows.push({
      title: 'Background tasks',
      panels: [
        timeseries(
          'Repairs',
          'Half-finished work (a crash mid-payment) that a background task healed, by repair.',
          'none',
          {
            expr: `sum by (task, repair) (increase(background_task_repairs_total{${sel}}[${RATE}]))`,
            legendFormat: '{{repair}}',
          },
        ),
        timeseries('Runs', 'Background task runs per second, by outcome.', 'ops', {
          expr: `sum by (task, outcome) (rate(background_task_runs_total{${sel}}[${RATE}]))`,
          legendFormat: '{{task}} {{outcome}}',
        }),
      ],
    });
  }
  return rows;
}

/** Every service at a glance; the services are found at run time (the `service` variable), so none is named here. */
function overviewRows(): Row[] {
  const jobs = 'job=~"$service"';
  return [
    {
      title: 'All services',
      panels: [
        timeseries('Requests', 'Routed requests per second, by service.', 'reqps', {
          expr: `sum by (job) (rate(http_server_requests_total{${jobs},${ROUTED}}[${RATE}]))`,
          legendFormat: '{{job}}',
        }),
        timeseries('5xx ratio', 'Share of routed requests answered 5xx, by service.', 'percentunit', {
          expr: `sum by (job) (rate(http_server_requests_total{${jobs},${ROUTED},status_code=~"5.."}[${RATE}])) / sum by (job) (rate(http_server_requests_total{${jobs},${ROUTED}}[${RATE}]))`,
          legendFormat: '{{job}}',
        }),
        timeseries('p99 latency', 'The 99th percentile of request duration, by service.', 's', {
          expr: `histogram_quantile(0.99, sum by (le, job) (rate(http_server_request_duration_seconds_bucket{${jobs},${ROUTED}}[${RATE}])))`,
          legendFormat: '{{job}}',
        }),
        timeseries(
          'Error ratio, 1 h (SLO)',
          'The availability SLI each service’s burn-rate alerts watch: the share of routed requests answered 5xx over the last hour (a 99.9 % objective pages above 1.44 %).',
          'percentunit',
          { expr: 'slo:request_errors:ratio_rate1h{service=~"$service"}', legendFormat: '{{service}}' },
        ),
        timeseries('Memory', 'Resident memory per pod, by service.', 'bytes', {
          expr: `max by (job, pod) (process_resident_memory_bytes{${jobs}})`,
          legendFormat: '{{job}} {{pod}}',
        }),
        timeseries('Repairs', 'Half-finished work healed by background tasks (each is a crash to look into).', 'none', {
          expr: `sum by (job, repair) (increase(background_task_repairs_total{${jobs}}[${RATE}]))`,
          legendFormat: '{{job}} {{repair}}',
        }),
      ],
    },
  ];
}

/** A Grafana dashboard (schema 39) of rows of panels, laid out on the 24-column grid, three per row. */
function dashboard(
  uid: string,
  title: string,
  description: string,
  rows: readonly Row[],
  variable: 'namespace' | 'service',
  links: readonly object[],
) {
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    row.panels.forEach((panel, index) => {
      const width = row.panels.length === 1 ? 24 : 8;
      panels.push({
        id: id++,
        type: panel.kind,
        title: panel.title,
        description: panel.description,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        gridPos: { h: 8, w: width, x: (index % 3) * width, y: y + Math.floor(index / 3) * 8 },
        fieldConfig: {
          defaults: { unit: panel.unit, ...(panel.max === undefined ? {} : { min: 0, max: panel.max }) },
          overrides: [],
        },
        options:
          panel.kind === 'stat'
            ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value' }
            : { legend: { displayMode: 'table', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi' } },
        targets: panel.targets.map((target, index) => ({
          refId: String.fromCharCode(65 + index),
          datasource: { type: 'prometheus', uid: '${datasource}' },
          expr: target.expr,
          legendFormat: target.legendFormat,
          exemplar: panel.kind === 'timeseries',
        })),
      });
    });
    y += Math.ceil(row.panels.length / 3) * 8;
  }
  const templating = [
    { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
    variable === 'namespace'
      ? {
          name: 'namespace',
          label: 'Namespace',
          type: 'query',
          datasource: { type: 'prometheus', uid: '${datasource}' },
          query: { query: `label_values(http_server_requests_total{job="${uid}"}, namespace)`, refId: 'namespace' },
          refresh: 2,
          current: {},
          hide: 0,
        }
      : {
          name: 'service',
          label: 'Service',
          type: 'query',
          datasource: { type: 'prometheus', uid: '${datasource}' },
          query: { query: 'label_values(slo:request_errors:ratio_rate5m, service)', refId: 'service' },
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.+',
          current: {},
          hide: 0,
        },
  ];
  return {
    uid,
    title,
    description,
    tags: ['platform'],
    schemaVersion: 39,
    version: 1,
    editable: false,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    timezone: 'utc',
    templating: { list: templating },
    links,
    panels,
  };
}

/** A link at the top of a dashboard to another one, by its uid, keeping the time range. */
const linkTo = (uid: string, title: string, tooltip: string) => ({
  type: 'link',
  title,
  tooltip,
  url: `/d/${uid}`,
  icon: 'dashboard',
  keepTime: true,
  includeVars: false,
  targetBlank: false,
  asDropdown: false,
  tags: [],
});

const OVERVIEW_UID = 'platform-overview';

/** Every dashboard, by the chart that ships it and its file name there. */
export function dashboards(workspace: string): { chart: string; file: string; json: object }[] {
  const services = serviceCharts(workspace).map((service) => observabilityOf(workspace, service));
  return [
    ...services.map((o) => ({
      chart: o.service,
      file: `${o.service}.json`,
      json: dashboard(
        o.service,
        o.service,
        `Requests, SLOs, dependencies, runtime and database of ${o.service}.`,
        serviceRows(o),
        'namespace',
        [linkTo(OVERVIEW_UID, 'Platform overview', 'Every service at a glance')],
      ),
    })),
    {
      chart: 'shared-ingress',
      file: 'platform-overview.json',
      json: dashboard(
        OVERVIEW_UID,
        'Platform overview',
        'Every service at a glance; a link per service opens its own dashboard.',
        overviewRows(),
        'service',
        services.map((o) => linkTo(o.service, o.service, `${o.service}'s own dashboard`)),
      ),
    },
  ];
}

export const dashboardPath = (workspace: string, chart: string, file: string) =>
  join(workspace, 'deploy/charts', chart, 'dashboards', file);

export const render = (json: object) => `${JSON.stringify(json, null, 2)}\n`;

/** Every PromQL expression on the dashboards, with where it is. */
export function dashboardExpressions(workspace: string): { where: string; expr: string }[] {
  return dashboards(workspace).flatMap(({ file, json }) =>
    (json as { panels: { title: string; targets?: { expr: string }[] }[] }).panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ where: `${file}: ${panel.title}`, expr: target.expr })),
    ),
  );
}
