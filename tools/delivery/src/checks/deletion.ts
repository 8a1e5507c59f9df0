import type { KubeObject } from '../helm';
import { type RenderedSystem, ROOT_APPLICATION, specOf } from '../gitops';
import type { SystemFinding } from '../gitops-checks';

const CASCADE = /^resources-finalizer\.argocd\.argoproj\.io(\/.*)?$/;
/** What must outlive a mistake: backups (Velero, its CRDs, its schedules) and the shared load balancer. */
const MUST_OUTLIVE = new Set(['CustomResourceDefinition', 'Schedule', 'Ingress', 'IngressClass']);

const cascades = (application: KubeObject) =>
  ((application.metadata as { finalizers?: string[] }).finalizers ?? []).some((f) => CASCADE.test(f));
const syncOptions = (application: KubeObject) =>
  (application.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',').map((o) => o.trim());

/**
 * Deletion that cannot wipe the platform: the root has no cascading finalizer (deleting it leaves
 * its children), and a child whose loss would take backups or the load balancer with it neither
 * cascades nor can be pruned or deleted through its parent.
 */
export function deletionProblems(system: RenderedSystem): SystemFinding[] {
  const problems: SystemFinding[] = [];
  if (cascades(system.root))
    problems.push({
      file: ROOT_APPLICATION,
      rule: 'deletion',
      message: `the root Application ${system.root.metadata.name} has a cascading finalizer: deleting it would delete every Application and what they run`,
    });
  for (const app of system.apps) {
    const remote = (specOf(app.application).sources ?? []).some((s) => s.chart !== undefined);
    const essential = remote || app.objects.some((o) => MUST_OUTLIVE.has(o.kind));
    if (!essential) continue;
    const options = syncOptions(app.application);
    if (cascades(app.application))
      problems.push({
        file: app.definedIn,
        rule: 'deletion',
        message: `Application ${app.name} holds backups or the load balancer but has a cascading finalizer (keepOnDelete: true)`,
      });
    if (!options.includes('Delete=false') || !options.includes('Prune=false'))
      problems.push({
        file: app.definedIn,
        rule: 'deletion',
        message: `Application ${app.name} holds backups or the load balancer; its parent must neither prune nor delete it (sync-options Delete=false,Prune=false)`,
      });
  }
  return problems;
}
