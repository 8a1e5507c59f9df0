// The service charts: charts on the platform-service library, which import its defaults and hold
// only what differs in their own values.yaml.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const charts = (workspace: string) => join(workspace, 'deploy/charts');
const readYaml = (file: string): unknown => parse(readFileSync(file, 'utf8'));

/** Every service chart (a chart on the platform-service library): the three, and any the generator adds. */
export const serviceCharts = (workspace: string): string[] =>
  readdirSync(charts(workspace))
    .filter((chart) => {
      const file = join(charts(workspace), chart, 'Chart.yaml');
      const meta = existsSync(file) ? (readYaml(file) as { dependencies?: { name: string }[] }) : {};
      return (meta.dependencies ?? []).some((d) => d.name === 'platform-service');
    })
    .sort();

export type Values = Record<string, unknown>;
const isMap = (value: unknown): value is Values => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Helm's merge of imported defaults and a chart's own values: maps merge key by key, the rest is replaced. */
function merge(defaults: Values, own: Values): Values {
  const merged: Values = { ...defaults };
  for (const [key, value] of Object.entries(own)) {
    const base = merged[key];
    merged[key] = isMap(base) && isMap(value) ? merge(base, value) : value;
  }
  return merged;
}

/** A service chart's values as Helm sees them: the library's exported defaults under the chart's values.yaml. */
export function serviceValues(workspace: string, service: string): Values {
  return merge(platformDefaults(workspace), ownValues(workspace, service));
}

/** The defaults every service chart imports (platform-service's `exports.defaults`). */
export const platformDefaults = (workspace: string): Values =>
  (readYaml(join(charts(workspace), 'platform-service/values.yaml')) as { exports: { defaults: Values } }).exports
    .defaults;

/** A service chart's own values.yaml: what differs from the defaults. */
export const ownValues = (workspace: string, service: string): Values =>
  (readYaml(join(charts(workspace), service, 'values.yaml')) ?? {}) as Values;
