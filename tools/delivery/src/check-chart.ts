import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { type KubeObject, renderChart } from './helm';
import { schemaFindings } from './kubernetes-schema';
import { type Finding, policyFindings } from './policies';

export interface ChartReport {
  readonly valueFiles: readonly string[];
  readonly objects: readonly KubeObject[];
  readonly findings: readonly Finding[];
}

/** Schema and policy findings for a set of rendered objects. */
export function checkObjects(objects: readonly KubeObject[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const object of objects) {
    const key = `${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
    if (seen.has(key))
      findings.push({ rule: 'unique', object: key, message: 'two objects share kind, namespace and name' });
    seen.add(key);
    for (const message of schemaFindings(object))
      findings.push({
        rule: 'schema',
        object: `${object.kind} ${object.metadata?.namespace ?? '(cluster)'}/${object.metadata?.name}`,
        message,
      });
  }
  return [...findings, ...policyFindings(objects)];
}

const { systemLayers } = require('../system-layers.cjs') as {
  systemLayers: (environmentFile?: string) => string[];
};

/**
 * Renders a service chart with its defaults and with each environment file, under the system's
 * layers as its Application gives them (the manifest; the environment's shared layer), as its
 * release would be named, and checks it. `valueFiles` of a report names the chart's own file only.
 */
export async function checkChart(
  chartDir: string,
  extraSets: Readonly<Record<string, string>> = {},
): Promise<ChartReport[]> {
  const name = basename(chartDir);
  const environments = readdirSync(chartDir).filter((f) => /^values-.+\.yaml$/.test(f));
  const reports: ChartReport[] = [];
  for (const valueFiles of [[], ...environments.map((f) => [f])]) {
    const layers = systemLayers(valueFiles[0]);
    const objects = await renderChart(chartDir, {
      releaseName: name,
      namespace: name,
      valueFiles: [...layers, ...valueFiles],
      set: extraSets,
    });
    reports.push({ valueFiles, objects, findings: checkObjects(objects) });
  }
  return reports;
}

export const formatFindings = (findings: readonly Finding[]) =>
  findings.map((f) => `[${f.rule}] ${f.object}: ${f.message}`).join('\n');
