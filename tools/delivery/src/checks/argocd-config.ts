import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { SystemFinding } from '../gitops-checks';

/** ArgoCD's own configuration that this design depends on: tracking by annotation, and Application health. */
export function argocdConfigProblems(workspace: string): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const cmFile = 'argocd/bootstrap/argocd-cm.yaml';
  const cm = existsSync(join(workspace, cmFile))
    ? (parse(readFileSync(join(workspace, cmFile), 'utf8')) as { data?: Record<string, string> })
    : {};
  if (cm.data?.['application.resourceTrackingMethod'] !== 'annotation')
    add(
      cmFile,
      'argocd-config',
      'resource tracking must be by annotation (Velero copies Schedule labels onto Backups)',
    );
  if (!cm.data?.['resource.customizations.health.argoproj.io_Application']?.includes('obj.status.health'))
    add(
      cmFile,
      'argocd-config',
      'the argoproj.io/Application health check must be configured, or sync waves do not wait for children',
    );
  return findings;
}
