import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { MANIFEST_FILE } from '@platform/system';
import { parseAllDocuments } from 'yaml';

/** What a service's pod is given, as its chart renders it for production. */
export interface ChartBudget {
  /** `resources.limits.memory` of the container, in MiB. */
  readonly memoryLimitMiB: number;
  readonly cpuLimit: string;
  /** The container's NODE_OPTIONS (V8's heap caps). */
  readonly nodeOptions: string;
}

const MEBI: Record<string, number> = {
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  K: 1000 / 1048576,
  M: 1e6 / 1048576,
  G: 1e9 / 1048576,
};

/** A Kubernetes memory quantity (`128Mi`, `1Gi`, `134217728`) in MiB. */
export function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]i?)?$/.exec(quantity);
  if (match === null) throw new Error(`not a memory quantity: ${quantity}`);
  return Number(match[1]) * (match[2] === undefined ? 1 / 1048576 : (MEBI[match[2]] ?? NaN));
}

interface Container {
  env?: { name: string; value?: string }[];
  resources?: { limits?: { memory?: string; cpu?: string } };
}

/** Renders each service's chart with its production values and reads the stable Deployment's budget. */
export async function chartBudgets<S extends string>(
  root: string,
  services: readonly S[],
): Promise<Record<S, ChartBudget>> {
  const budgets = {} as Record<S, ChartBudget>;
  for (const service of services) {
    const chart = join(root, 'deploy/charts', service);
    const helm = (...args: string[]) =>
      execFileSync(process.execPath, [join(root, 'tools/delivery/helm.cjs'), ...args], {
        encoding: 'utf8',
        maxBuffer: 16 << 20,
      });
    helm('dependency', 'build', chart, '--skip-refresh');
    const rendered = helm(
      'template',
      service,
      chart,
      '--namespace',
      service,
      // As its Application renders it: the manifest, the production layer all services share, its own.
      ...[join(root, MANIFEST_FILE), join(root, 'deploy/values-prod.yaml'), join(chart, 'values-prod.yaml')].flatMap(
        (file) => ['--values', file],
      ),
    );
    const deployment = parseAllDocuments(rendered)
      .map(
        (d) =>
          d.toJS() as {
            kind?: string;
            metadata?: { name?: string };
            spec?: { template: { spec: { containers: Container[] } } };
          },
      )
      .find((o) => o?.kind === 'Deployment' && !String(o.metadata?.name).endsWith('-canary'));
    const container = deployment?.spec?.template.spec.containers[0];
    const nodeOptions = container?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    const memory = container?.resources?.limits?.memory;
    if (nodeOptions === undefined || memory === undefined)
      throw new Error(`${service}: its chart renders no NODE_OPTIONS or memory limit`);
    budgets[service] = {
      memoryLimitMiB: mebibytes(memory),
      cpuLimit: String(container?.resources?.limits?.cpu),
      nodeOptions,
    };
  }
  return budgets;
}
