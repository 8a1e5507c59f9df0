import { BOOTSTRAP_PROJECTS_FILE, type RenderedApp, ROOT_APPLICATION, type RenderedSystem, specOf } from '../gitops';
import type { SystemFinding } from '../gitops-checks';

/** Cluster-scoped kinds an AppProject must list before an Application may create them. */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'IngressClass',
  'IngressClassParams',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'ClusterImagePolicy',
]);

/**
 * An Application whose objects are all cluster-scoped (an admission policy): its destination
 * namespace is nominal, owned by what was installed there before, so it neither creates nor labels it.
 */
export const clusterScopedOnly = (app: RenderedApp) =>
  app.notRendered === undefined &&
  app.renderError === undefined &&
  app.objects.every((o) => CLUSTER_SCOPED.has(o.kind)) &&
  specOf(app.application).syncPolicy?.managedNamespaceMetadata === undefined;

export interface ProjectSpec {
  sourceRepos?: string[];
  sourceNamespaces?: string[];
  destinations?: { server?: string; namespace: string }[];
  clusterResourceWhitelist?: { group: string; kind: string }[];
  namespaceResourceWhitelist?: { group: string; kind: string }[];
  namespaceResourceBlacklist?: { group: string; kind: string }[];
}

const BOOTSTRAP_PROJECTS = BOOTSTRAP_PROJECTS_FILE;
/** Cluster-scoped kinds that hand out cluster-wide power: only the backup project may create them. */
const PRIVILEGED_KINDS = new Set(['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);
/** The namespace whose Applications (Velero) may hold that power. */
const PRIVILEGED_NAMESPACE = 'velero';

const kinds = (list: readonly { group: string; kind: string }[] | undefined) =>
  (list ?? []).map((k) => `${k.group === '' ? 'core' : k.group}/${k.kind}`).sort();

/**
 * Least privilege in ArgoCD: the root Application's project may create only Applications and
 * AppProjects in argocd from this repository; the built-in `default` project is locked; only the
 * project whose Applications all deploy into Velero's namespace may create CRDs and cluster RBAC;
 * no project allows a wildcard kind.
 */
export function projectProblems(system: RenderedSystem): SystemFinding[] {
  const problems: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => problems.push({ file, rule, message });
  const appsFile = system.apps[0]?.definedIn ?? 'argocd/apps/values.yaml';
  const bootstrap = new Map(system.bootstrapProjects.map((o) => [o.metadata.name, o['spec'] as ProjectSpec]));
  const rootSpec = specOf(system.root);

  const rootProject = bootstrap.get(rootSpec.project);
  if (rootProject === undefined || rootSpec.project === 'default')
    add(
      ROOT_APPLICATION,
      'bootstrap-project',
      `the root Application is in project ${rootSpec.project}, not a project of its own in ${BOOTSTRAP_PROJECTS}`,
    );
  else {
    const allowed = kinds(rootProject.namespaceResourceWhitelist);
    if (allowed.join() !== 'argoproj.io/AppProject,argoproj.io/Application')
      add(
        BOOTSTRAP_PROJECTS,
        'bootstrap-project',
        `project ${rootSpec.project} may create ${allowed.join(', ') || 'any namespaced kind'}, not only Applications and AppProjects`,
      );
    if ((rootProject.clusterResourceWhitelist ?? []).length > 0)
      add(BOOTSTRAP_PROJECTS, 'bootstrap-project', `project ${rootSpec.project} may create cluster-scoped objects`);
    const destinations = (rootProject.destinations ?? []).map((d) => d.namespace);
    if (destinations.join() !== 'argocd')
      add(
        BOOTSTRAP_PROJECTS,
        'bootstrap-project',
        `project ${rootSpec.project} deploys to ${destinations.join(', ')}, not only argocd`,
      );
    if ((rootProject.sourceRepos ?? []).join() !== rootSpec.source?.repoURL)
      add(
        BOOTSTRAP_PROJECTS,
        'bootstrap-project',
        `project ${rootSpec.project} takes sources other than ${rootSpec.source?.repoURL}`,
      );
  }

  const locked = bootstrap.get('default');
  const lockedDown =
    locked !== undefined &&
    (locked.sourceRepos ?? []).length === 0 &&
    (locked.destinations ?? []).length === 0 &&
    (locked.clusterResourceWhitelist ?? []).length === 0 &&
    (locked.namespaceResourceBlacklist ?? []).some((k) => k.group === '*' && k.kind === '*');
  if (!lockedDown)
    add(
      BOOTSTRAP_PROJECTS,
      'default-project',
      'the built-in default project must be locked: no sources, no destinations, every kind denied',
    );

  for (const project of system.appOfApps.filter((o) => o.kind === 'AppProject')) {
    const name = project.metadata.name;
    const spec = project['spec'] as ProjectSpec;
    const members = system.apps.filter((a) => specOf(a.application).project === name);
    // Whoever can write argocd/apps must not be able to replace the projects applied by hand.
    if (name === 'default' || bootstrap.has(name))
      add(
        appsFile,
        'project-names',
        `AppProject ${name} is rendered from argocd/apps: that name belongs to a project applied by hand (${BOOTSTRAP_PROJECTS}), or to ArgoCD's built-in default`,
      );
    if (members.every((m) => m.notRendered === undefined && m.renderError === undefined)) {
      const rendered = new Set(
        members.flatMap((m) =>
          m.objects
            .filter((o) => CLUSTER_SCOPED.has(o.kind))
            .map((o) => `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`),
        ),
      );
      const unused = (spec.clusterResourceWhitelist ?? []).filter(
        (k) => k.kind !== 'Namespace' && !rendered.has(`${k.group}/${k.kind}`),
      );
      if (unused.length > 0)
        add(
          appsFile,
          'least-privilege',
          `AppProject ${name} may create ${kinds(unused).join(', ')}, which none of its Applications render`,
        );
    }
    // A project whose Applications render only cluster-scoped objects (an admission policy) would
    // otherwise be free to write any namespaced object in its destination, the controller's.
    const noNamespaced = (spec.namespaceResourceBlacklist ?? []).some((k) => k.group === '*' && k.kind === '*');
    if (members.length > 0 && members.every((m) => clusterScopedOnly(m)) && !noNamespaced)
      add(
        appsFile,
        'least-privilege',
        `AppProject ${name}: its Applications render only cluster-scoped objects, but it may create namespaced ones in ${(spec.destinations ?? []).map((d) => d.namespace).join(', ')}`,
      );
    const privileged = (spec.clusterResourceWhitelist ?? []).filter(
      (k) => PRIVILEGED_KINDS.has(k.kind) || k.kind === '*' || k.group === '*',
    );
    const wildcard = [...(spec.clusterResourceWhitelist ?? []), ...(spec.namespaceResourceWhitelist ?? [])].filter(
      (k) => k.kind === '*' || k.group === '*',
    );
    if (wildcard.length > 0 || (spec.sourceRepos ?? []).includes('*'))
      add(
        appsFile,
        'least-privilege',
        `AppProject ${name} allows a wildcard (${kinds(wildcard).join(', ') || 'sourceRepos *'})`,
      );
    if (privileged.length > 0 && !members.every((a) => a.namespace === PRIVILEGED_NAMESPACE))
      add(
        appsFile,
        'least-privilege',
        `AppProject ${name} may create ${kinds(privileged).join(', ')}, which only Velero's project may (its Applications: ${members.map((a) => a.name).join(', ')})`,
      );
  }
  return problems;
}
