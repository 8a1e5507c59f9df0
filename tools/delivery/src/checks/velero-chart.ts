import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkObjects } from '../check-chart';
import { type RenderedSystem, specOf } from '../gitops';
import { renderChart } from '../helm';
import type { SystemFinding } from '../gitops-checks';

export const VELERO_RECORD = 'velero/upstream.yaml';
export const VELERO_VALUES = 'velero/values.yaml';
const APPS_VALUES = 'argocd/apps/values.yaml';

/**
 * The AWS plugin line each Velero server line supports, from the compatibility table in
 * vmware-tanzu/velero-plugin-for-aws's README (plugin v1.N pairs with Velero 1.(N+4)).
 */
export const AWS_PLUGIN_FOR_SERVER: Readonly<Record<string, string>> = {
  '1.15': '1.11',
  '1.16': '1.12',
  '1.17': '1.13',
  '1.18': '1.14',
};

export interface VeleroRecord {
  chart: string;
  version: string;
  server: string;
  valueKeys: string[];
}

const minor = (version: string) => /^v?(\d+\.\d+)/.exec(version)?.[1];

/**
 * Every key path of a values tree, as the record spells them: lists are leaves, and below a path the
 * record marks free-form (`a.b.*`) nothing is looked at.
 */
export function keyPaths(values: unknown, freeForm: (path: string) => boolean, prefix = ''): string[] {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return [];
  const paths: string[] = [];
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (freeForm(path)) {
      paths.push(`${path}.*`);
      continue;
    }
    const below =
      value !== null && typeof value === 'object' && !Array.isArray(value) ? keyPaths(value, freeForm, path) : [];
    paths.push(...(below.length > 0 ? below : [path]));
  }
  return paths;
}

export const readYaml = <T>(file: string): T => parse(readFileSync(file, 'utf8')) as T;

/** The AWS plugin's image tag in Velero's values. */
export function pluginTag(values: { initContainers?: { name?: string; image?: string }[] }): string | undefined {
  const image = (values.initContainers ?? []).find((c) => (c.image ?? '').includes('velero-plugin-for-aws'))?.image;
  return image?.split(':')[1];
}

/** Server and plugin that belong together, and values the pinned chart has; offline, from the record. */
export function veleroChartProblems(system: RenderedSystem, workspace: string): SystemFinding[] {
  const velero = system.apps.find((a) => (specOf(a.application).sources ?? []).some((s) => s.chart === 'velero'));
  if (velero === undefined) return [];
  const problems: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => problems.push({ file, rule, message });
  const pinned = (specOf(velero.application).sources ?? []).find((s) => s.chart === 'velero')?.targetRevision;
  if (!existsSync(join(workspace, VELERO_RECORD))) {
    add(
      VELERO_RECORD,
      'velero-pair',
      `no record of the Velero chart ${pinned}: the checks cannot tell which server it runs`,
    );
    return problems;
  }
  const record = readYaml<VeleroRecord>(join(workspace, VELERO_RECORD));
  const values = readYaml<Record<string, unknown> & { initContainers?: { name?: string; image?: string }[] }>(
    join(workspace, VELERO_VALUES),
  );
  if (record.version !== pinned)
    add(
      VELERO_RECORD,
      'velero-pair',
      `describes Velero chart ${record.version}, but ${APPS_VALUES} pins ${pinned}: check the new chart (its appVersion and values.yaml) and update the record`,
    );
  const tag = pluginTag(values);
  const expected = AWS_PLUGIN_FOR_SERVER[record.server];
  if (tag === undefined)
    add(VELERO_VALUES, 'velero-pair', 'no velero-plugin-for-aws init container: Velero cannot reach S3');
  else if (expected === undefined)
    add(VELERO_RECORD, 'velero-pair', `Velero ${record.server} is not in the AWS plugin's compatibility table`);
  else if (minor(tag) !== expected)
    add(
      VELERO_VALUES,
      'velero-pair',
      `the AWS plugin ${tag} is not supported with Velero ${record.server} (chart ${record.version}): that server needs plugin v${expected}.x`,
    );
  const known = new Set(record.valueKeys);
  const freeForm = (path: string) => known.has(`${path}.*`);
  for (const path of keyPaths(values, freeForm))
    if (!known.has(path))
      add(
        VELERO_VALUES,
        'velero-values',
        `sets ${path}, which the Velero chart ${record.version} does not have (${VELERO_RECORD} lists the keys it has)`,
      );
  return problems;
}

/**
 * The record against the chart itself (pulled by CI): its version, the server it runs, and every
 * key the record lists present in the chart's values.yaml.
 */
export function verifyRecordAgainstChart(record: VeleroRecord, chartDir: string): string[] {
  const problems: string[] = [];
  const chart = readYaml<{ name?: string; version?: string; appVersion?: string }>(join(chartDir, 'Chart.yaml'));
  const values = readYaml<unknown>(join(chartDir, 'values.yaml'));
  if (chart.name !== record.chart || chart.version !== record.version)
    problems.push(`the chart is ${chart.name} ${chart.version}, the record says ${record.chart} ${record.version}`);
  if (minor(String(chart.appVersion)) !== record.server)
    problems.push(`chart ${chart.version} runs Velero ${chart.appVersion}, the record says ${record.server}`);
  const lookup = (path: string): { found: boolean; value?: unknown } => {
    let node: unknown = values;
    for (const part of path.split('.')) {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !(part in (node as object)))
        return { found: false };
      node = (node as Record<string, unknown>)[part];
    }
    return { found: true, value: node };
  };
  for (const key of record.valueKeys) {
    const freeForm = key.endsWith('.*');
    const { found, value } = lookup(freeForm ? key.slice(0, -2) : key);
    if (!found) problems.push(`the chart's values.yaml has no ${freeForm ? key.slice(0, -2) : key}`);
    else if (freeForm && value !== null && (typeof value !== 'object' || Array.isArray(value)))
      problems.push(`the chart's ${key.slice(0, -2)} is not a map`);
  }
  return problems;
}

/**
 * CI's online check of the pinned chart, pulled into `chartDir`: the record holds for it, and
 * velero/values.yaml renders through it into objects that pass the strict schemas (Velero's own
 * CRDs included, when the chart ships them).
 */
export async function verifyVeleroChart(workspace: string, chartDir: string): Promise<string[]> {
  const record = readYaml<VeleroRecord>(join(workspace, VELERO_RECORD));
  const problems = verifyRecordAgainstChart(record, chartDir);
  try {
    const objects = await renderChart(chartDir, {
      releaseName: 'velero',
      namespace: 'velero',
      valueFiles: [join(workspace, VELERO_VALUES)],
    });
    for (const finding of checkObjects(objects).filter((f) => f.rule === 'schema' || f.rule === 'unique'))
      problems.push(`${finding.object}: ${finding.message}`);
    if (!objects.some((o) => o.kind === 'ServiceMonitor'))
      problems.push(
        'the chart renders no ServiceMonitor with velero/values.yaml: the backup alerts would read nothing',
      );
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}
