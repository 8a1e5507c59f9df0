import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { RenderedSystem } from '../gitops';
import type { SystemFinding } from '../gitops-checks';

export const RBAC_FILE = 'argocd/bootstrap/argocd-rbac-cm.yaml';

/**
 * The RBAC patch merges into the installation's policy (a `policy.<name>.csv` key, which ArgoCD
 * appends to `policy.csv`) instead of replacing it, grants no built-in role, and binds every role of
 * every AppProject the app-of-apps renders to a group.
 */
export function rbacProblems(system: RenderedSystem, workspace: string): SystemFinding[] {
  const file = join(workspace, RBAC_FILE);
  if (!existsSync(file)) return [];
  const data = (parse(readFileSync(file, 'utf8')) as { data?: Record<string, string> }).data ?? {};
  const problems: SystemFinding[] = [];
  const add = (message: string) => problems.push({ file: RBAC_FILE, rule: 'argocd-rbac', message });
  if ('policy.csv' in data)
    add("sets policy.csv, which replaces the installation's whole policy when patched: use a policy.<name>.csv key");
  const lines = Object.entries(data)
    .filter(([key]) => /^policy\.[^.]+\.csv$/.test(key))
    .flatMap(([, csv]) => csv.split('\n').map((l) => l.trim()))
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of lines) if (/\brole:(admin|readonly)\b/.test(line)) add(`grants a built-in ArgoCD role: ${line}`);
  for (const project of system.appOfApps.filter((o) => o.kind === 'AppProject')) {
    const roles = ((project['spec'] as { roles?: { name: string }[] }).roles ?? []).map((r) => r.name);
    for (const role of roles)
      if (!lines.some((l) => l.startsWith('g,') && l.endsWith(`proj:${project.metadata.name}:${role}`)))
        add(`no group holds role ${role} of AppProject ${project.metadata.name}`);
  }
  return problems;
}
