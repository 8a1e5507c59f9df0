import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { type KubeObject, renderChart, RenderError } from './helm';

/** One child Application and what it would apply. */
export interface RenderedApp {
  readonly application: KubeObject;
  readonly name: string;
  readonly namespace: string;
  /** The repository file that defines it, for findings. */
  readonly definedIn: string;
  /** The chart folder in this repository, when the source is local. */
  readonly path?: string;
  readonly objects: readonly KubeObject[];
  /** Why it was not rendered (a remote chart, or a render error). */
  readonly notRendered?: string;
  readonly renderError?: string;
}

export interface RenderedSystem {
  readonly root: KubeObject;
  /** What the root Application applies: the AppProjects and the child Applications. */
  readonly appOfApps: readonly KubeObject[];
  /** What a person applies beside the root: its own project and the locked `default` project. */
  readonly bootstrapProjects: readonly KubeObject[];
  readonly apps: readonly RenderedApp[];
}

interface ApplicationSpec {
  project: string;
  destination: { server?: string; namespace: string };
  source?: Source;
  sources?: Source[];
  syncPolicy?: {
    automated?: { prune?: boolean; selfHeal?: boolean };
    syncOptions?: string[];
    retry?: unknown;
    managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  };
}
interface Source {
  repoURL: string;
  targetRevision: string;
  path?: string;
  chart?: string;
  ref?: string;
  helm?: { releaseName?: string; valueFiles?: string[]; parameters?: { name: string; value: string }[] };
}

export const ROOT_APPLICATION = 'argocd/bootstrap/root.yaml';
export const BOOTSTRAP_PROJECTS_FILE = 'argocd/bootstrap/projects.yaml';
export const specOf = (application: KubeObject) => application['spec'] as ApplicationSpec;

/** Renders a local Helm source the way ArgoCD does: release name, destination namespace, value files, parameters. */
async function renderSource(workspace: string, source: Source, name: string, namespace: string): Promise<KubeObject[]> {
  const chartDir = join(workspace, source.path as string);
  if (!existsSync(join(chartDir, 'Chart.yaml')))
    throw new RenderError(`path ${source.path} is not a chart in this repository`);
  return renderChart(chartDir, {
    releaseName: source.helm?.releaseName ?? name,
    namespace,
    valueFiles: source.helm?.valueFiles ?? [],
    set: Object.fromEntries((source.helm?.parameters ?? []).map((p) => [p.name, p.value])),
  });
}

/** Everything ArgoCD would apply, from the root Application down, rendered offline. */
export async function renderSystem(workspace: string): Promise<RenderedSystem> {
  const root = parse(readFileSync(join(workspace, ROOT_APPLICATION), 'utf8')) as KubeObject;
  const projectsFile = join(workspace, BOOTSTRAP_PROJECTS_FILE);
  const bootstrapProjects = existsSync(projectsFile)
    ? parseAllDocuments(readFileSync(projectsFile, 'utf8'))
        .map((d) => d.toJS() as KubeObject | null)
        .filter((o): o is KubeObject => o !== null)
    : [];
  const rootSpec = specOf(root);
  const appOfApps = await renderSource(
    workspace,
    rootSpec.source as Source,
    root.metadata.name,
    rootSpec.destination.namespace,
  );
  const apps: RenderedApp[] = [];
  for (const application of appOfApps.filter((o) => o.kind === 'Application')) {
    const spec = specOf(application);
    const name = application.metadata.name;
    const namespace = spec.destination.namespace;
    const base = { application, name, namespace, definedIn: `${rootSpec.source?.path}/values.yaml` };
    const sources = spec.sources ?? (spec.source ? [spec.source] : []);
    const chartSource = sources.find((s) => s.chart !== undefined);
    if (chartSource !== undefined) {
      apps.push({
        ...base,
        objects: [],
        notRendered: `remote chart ${chartSource.chart} ${chartSource.targetRevision} from ${chartSource.repoURL} (pinned; not rendered offline)`,
      });
      continue;
    }
    const source = sources[0] as Source;
    try {
      apps.push({ ...base, path: source.path, objects: await renderSource(workspace, source, name, namespace) });
    } catch (error) {
      apps.push({ ...base, path: source.path, objects: [], renderError: (error as Error).message });
    }
  }
  return { root, appOfApps, bootstrapProjects, apps };
}
