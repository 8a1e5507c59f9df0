import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

// The helm binary: on PATH when new enough, else unpacked from an npm package (see helm.cjs).

const { helmBinary } = require('../helm.cjs') as { helmBinary: () => string };

/** A Kubernetes object as rendered. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  readonly releaseName: string;
  readonly namespace: string;
  /** Value files, relative to the chart (or absolute). */
  readonly valueFiles?: readonly string[];
  /** `--set` parameters. */
  readonly set?: Readonly<Record<string, string>>;
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
}

/** `helm template`, the way ArgoCD renders a chart, parsed into objects. */
export async function renderChart(chartDir: string, options: RenderOptions): Promise<KubeObject[]> {
  const helm = helmBinary();
  // Always: a vendored copy of the library chart must never be stale.
  if (existsSync(join(chartDir, 'Chart.lock'))) await run(helm, ['dependency', 'build', chartDir, '--skip-refresh']);
  const args = ['template', options.releaseName, chartDir, '--namespace', options.namespace];
  for (const file of options.valueFiles ?? []) args.push('--values', resolve(chartDir, file));
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set-string', `${key}=${value}`);
  let stdout: string;
  try {
    ({ stdout } = await run(helm, args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw new RenderError(`${chartDir}: helm template failed: ${stderr}`);
  }
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null && typeof object === 'object');
}
