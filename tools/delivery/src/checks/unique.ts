import type { RenderedSystem } from '../gitops';
import type { SystemFinding } from '../gitops-checks';
import { objectsOf } from './common';

/** No two objects anywhere in the system share kind, namespace and name. */
export function uniqueProblems(system: RenderedSystem): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const all = objectsOf(system);
  const seen = new Map<string, string>();
  for (const { object, app } of all) {
    const key = `${object.kind} ${object.metadata.namespace ?? app.namespace}/${object.metadata.name}`;
    if (seen.has(key) && seen.get(key) !== app.name)
      add(app.path ?? app.definedIn, 'unique', `${key} is rendered by both ${seen.get(key)} and ${app.name}`);
    seen.set(key, app.name);
  }
  return findings;
}
