import { rbacProblems } from './checks/argocd-rbac';
import { applicationProblems } from './checks/applications';
import { argocdConfigProblems } from './checks/argocd-config';
import { backupAlertProblems } from './checks/backup-alerts';
import { backupProblems } from './checks/backups';
import { appsFileOf } from './checks/common';
import { defaultDenyProblems } from './checks/default-deny';
import { deletionProblems } from './checks/deletion';
import { imageVerificationProblems } from './checks/image-verification';
import { ingressProblems } from './checks/ingress';
import { networkPaths } from './checks/network-paths';
import { podSecurityProblems } from './checks/pod-security';
import { releaseProblems } from './checks/releases';
import { schemaProblems } from './checks/schemas';
import { syncWaveProblems } from './checks/sync-waves';
import { uniqueProblems } from './checks/unique';
import { veleroChartProblems } from './checks/velero-chart';
import { workloadTrust } from './checks/workload-trust';
import type { RenderedSystem } from './gitops';

export interface SystemFinding {
  readonly file: string;
  readonly rule: string;
  readonly message: string;
}

/**
 * Checks the whole rendered system as one: each rule family is a module of its own
 * (tools/delivery/src/checks), and a finding names the file to fix and its rule.
 */
export function checkSystem(system: RenderedSystem, workspace: string): SystemFinding[] {
  const appsFile = appsFileOf(system);
  const objects = system.apps.flatMap((a) => a.objects);
  return [
    ...schemaProblems(system),
    ...podSecurityProblems(system),
    ...imageVerificationProblems(system, workspace),
    ...applicationProblems(system, workspace),
    // Workload identity: every service a pod calls trusts its service account, and no service
    // trusts one that does not call it; one cluster issuer for all.
    ...workloadTrust(objects).map((message) => ({ file: appsFile, rule: 'workload-trust', message })),
    // Network paths: the NetworkPolicies let exactly the declared calls through, by namespace and labels.
    ...networkPaths(objects).map((message) => ({ file: appsFile, rule: 'network-paths', message })),
    ...syncWaveProblems(system),
    ...ingressProblems(system),
    ...backupProblems(system, workspace),
    ...uniqueProblems(system),
    ...releaseProblems(system, workspace),
    ...deletionProblems(system),
    ...defaultDenyProblems(system),
    ...backupAlertProblems(system),
    ...veleroChartProblems(system, workspace),
    ...rbacProblems(system, workspace),
    ...argocdConfigProblems(workspace),
  ];
}

export const formatSystemFindings = (findings: readonly SystemFinding[]) =>
  findings.map((f) => `${f.file}: [${f.rule}] ${f.message}`).join('\n');

export { cronValid, goDurationSeconds, RETENTION, SYSTEM_NAMESPACES } from './checks/backups';
export { globMatches } from './checks/image-verification';
export { GROUP_WIDE_ANNOTATIONS } from './checks/ingress';
export { networkPaths, workloadTrust };
