import { type RenderedSystem, specOf } from '../gitops';
import type { SystemFinding } from '../gitops-checks';
import { appRendering, appsFileOf } from './common';

/** Sync waves: Velero before its schedules (which wait for its CRD), the services before the ingress. */
export function syncWaveProblems(system: RenderedSystem): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const appsFile = appsFileOf(system);
  const wave = (name: string) =>
    Number(
      system.apps.find((a) => a.name === name)?.application.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0,
    );
  const names = system.apps.map((a) => a.name);
  if (names.includes('velero') && names.includes('velero-schedules') && !(wave('velero') < wave('velero-schedules')))
    add(appsFile, 'sync-waves', 'velero must sync in an earlier wave than velero-schedules');
  const schedulesApp = appRendering(system, 'Schedule');
  if (
    schedulesApp !== undefined &&
    !specOf(schedulesApp.application).syncPolicy?.syncOptions?.includes('SkipDryRunOnMissingResource=true')
  ) {
    add(
      appsFile,
      'sync-waves',
      `Application ${schedulesApp.name} deploys Velero Schedules before their CRD exists: it needs SkipDryRunOnMissingResource=true`,
    );
  }
  const ingressApp = appRendering(system, 'Ingress');
  for (const app of system.apps.filter((a) => a.objects.some((o) => o.kind === 'Deployment'))) {
    if (ingressApp !== undefined && !(wave(app.name) < wave(ingressApp.name)))
      add(appsFile, 'sync-waves', `${app.name} must sync in an earlier wave than ${ingressApp.name}`);
  }
  return findings;
}
