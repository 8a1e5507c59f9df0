import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from './helm';

/**
 * Validation of rendered objects against the real Kubernetes API schemas, from two maintained,
 * generated sources: `kubernetes-models` (types, required fields, enums, formats; CRD models for
 * the Prometheus Operator and Argo CD) and the official `@kubernetes/client-node` type map, which
 * lists every field of every built-in kind, so an unknown field (`spec.replica`,
 * `imagePullPolcy`) is reported too.
 */

const CRD_MODEL_PACKAGES: Readonly<Record<string, string>> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'argoproj.io': '@kubernetes-models/argo-cd',
};

type Model = new (data: unknown) => { validate(): void };

/** Extra validators for kinds no model package covers (Velero: compiled from its CRD schema). */
const extraValidators = new Map<string, (object: KubeObject) => string[]>();

export function registerValidator(apiVersion: string, kind: string, validate: (object: KubeObject) => string[]): void {
  extraValidators.set(`${apiVersion}/${kind}`, validate);
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash === -1
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * Where an installed package is, found the way Node looks for it. The model packages export their
 * files to `import` only (ES modules), so a `require` by package path is refused; their files are
 * loaded by absolute path instead, which Node's require of ES modules (and Jest, which compiles
 * them: jest-resolver.cjs) accepts, while their own imports resolve as ES modules.
 */
function packageDir(name: string): string | undefined {
  return (require.resolve.paths(name) ?? [])
    .map((base) => join(base, name))
    .find((dir) => existsSync(join(dir, 'package.json')));
}

function modelFor(apiVersion: string, kind: string): Model | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  const dir = packageDir(CRD_MODEL_PACKAGES[group] ?? 'kubernetes-models');
  const file = dir && join(dir, group === '' ? version : `${group}/${version}`, `${kind}.js`);
  if (file === undefined || !existsSync(file)) return undefined;
  return (require(file) as Record<string, Model>)[kind];
}

/** Field name -> field type of every client-node model class (`V1Container` -> { image: 'string', … }). */
type FieldTypes = Record<string, Record<string, string>>;

/**
 * client-node ships as ES modules, which jest's module system cannot load; its type map is read
 * once by a plain node process and cached per client-node version under node_modules/.cache.
 */
function loadFieldTypes(): FieldTypes {
  const packageJson = require.resolve('@kubernetes/client-node/package.json');
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  const cacheDir = join(packageJson, '../../../.cache/platform-k8s-fields');
  const cacheFile = join(cacheDir, `${version}.json`);
  if (!existsSync(cacheFile)) {
    mkdirSync(cacheDir, { recursive: true });
    const script = `
      const k8s = require(${JSON.stringify(packageJson.replace(/package\.json$/, ''))});
      const out = {};
      for (const [name, cls] of Object.entries(k8s)) {
        if (cls && typeof cls.getAttributeTypeMap === 'function') {
          out[name] = Object.fromEntries(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
        }
      }
      require('fs').writeFileSync(${JSON.stringify(cacheFile)}, JSON.stringify(out));`;
    execFileSync(process.execPath, ['-e', script]);
  }
  return JSON.parse(readFileSync(cacheFile, 'utf8')) as FieldTypes;
}

let fieldTypes: FieldTypes | undefined;
const typesOf = (name: string) => (fieldTypes ??= loadFieldTypes())[name];

/** The client-node class of a built-in kind: `apps/v1 Deployment` is V1Deployment. */
function clientClassFor(apiVersion: string, kind: string): string | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  if (group.includes('.') && !group.endsWith('.k8s.io')) return undefined;
  const name = `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
  return typesOf(name) ? name : undefined;
}

function unknownFields(value: unknown, type: string, path: string, found: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value))
      value.forEach((item, i) => unknownFields(item, array[1] as string, `${path}[${i}]`, found));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object')
      for (const [key, item] of Object.entries(value)) unknownFields(item, map[1] as string, `${path}.${key}`, found);
    return;
  }
  const attributes = typesOf(type);
  if (attributes === undefined || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const childType = attributes[key];
    if (childType === undefined) found.push(`${path}.${key}: unknown field`);
    else unknownFields(child, childType, `${path}.${key}`, found);
  }
}

/** Every schema violation of one object, as "path: problem" lines; empty when valid. */
export function schemaFindings(object: KubeObject): string[] {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['apiVersion and kind are required'];
  const extra = extraValidators.get(`${apiVersion}/${kind}`);
  if (extra !== undefined) return extra(object);
  const Model = modelFor(apiVersion, kind);
  if (Model === undefined) return [`no schema known for ${apiVersion} ${kind}`];
  const found: string[] = [];
  try {
    new Model(object).validate();
  } catch (error) {
    found.push(
      ...String((error as Error).message)
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/^data\//, '').replace(/\//g, '.')),
    );
  }
  const clientClass = clientClassFor(apiVersion, kind);
  if (clientClass !== undefined) unknownFields(object, clientClass, kind, found);
  return found;
}
