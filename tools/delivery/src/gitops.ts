import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '@platform/system';
import { parse, parseAllDocuments, stringify } from 'yaml';
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
  /** A service with no release yet, rendered as its next release would be: at this working tree. */
  readonly assumedRelease?: boolean;
  /** A service: rendered at its release's commit with its release's image (`released: true`). */
  readonly released?: boolean;
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

/** A service's release record (argocd/apps/releases.yaml): the commit its image was built from, and the image. */
export interface Release {
  revision: string;
  image: { registry?: string; repository?: string; tag: string; digest: string };
}
export const RELEASES_FILE = 'argocd/apps/releases.yaml';
/** Stands for a digest in a render of services not released yet (never written to a release). */
export const UNRELEASED_DIGEST = `sha256:${'0'.repeat(64)}`;

interface AppEntry {
  name: string;
  released?: boolean;
}

/** The released services' records, as the root reads them. */
export function readReleases(workspace: string): Record<string, Release> {
  const file = join(workspace, RELEASES_FILE);
  if (!existsSync(file)) return {};
  return ((parse(readFileSync(file, 'utf8')) as { releases?: Record<string, Release> } | null)?.releases ??
    {}) as Record<string, Release>;
}

/** The commit checked out in `workspace`, or 40 zeros outside a Git work tree (a scratch copy). */
function headRevision(workspace: string): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return '0'.repeat(40);
  }
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
  // A service that was never released has no Application in the cluster; the checks still see it,
  // rendered as its first release would be (this working tree, its image not built yet).
  const rootPath = (rootSpec.source as Source).path as string;
  const rootValues = parse(readFileSync(join(workspace, rootPath, 'values.yaml'), 'utf8')) as {
    applications?: AppEntry[];
    serviceApplication?: Omit<AppEntry, 'name'>;
  };
  // As the root renders them: those listed, and one per service of the system's manifest.
  const entries: AppEntry[] = [
    ...(rootValues.applications ?? []),
    ...readManifest(workspace).services.map(({ name }) => ({ ...rootValues.serviceApplication, name })),
  ];
  const released = readReleases(workspace);
  const unreleased = entries.filter((a) => a.released === true && released[a.name] === undefined).map((a) => a.name);
  const scratch = mkdtempSync(join(tmpdir(), 'gitops-releases-'));
  let appOfApps: KubeObject[];
  try {
    const revision = headRevision(workspace);
    const assumed = Object.fromEntries(
      unreleased.map((name) => [name, { revision, image: { tag: revision, digest: UNRELEASED_DIGEST } }]),
    );
    const overlay = join(scratch, 'assumed-releases.yaml');
    writeFileSync(overlay, stringify({ releases: { ...released, ...assumed } }));
    const source = rootSpec.source as Source;
    appOfApps = await renderSource(
      workspace,
      { ...source, helm: { ...source.helm, valueFiles: [...(source.helm?.valueFiles ?? []), overlay] } },
      root.metadata.name,
      rootSpec.destination.namespace,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const apps: RenderedApp[] = [];
  for (const application of appOfApps.filter((o) => o.kind === 'Application')) {
    const spec = specOf(application);
    const name = application.metadata.name;
    const namespace = spec.destination.namespace;
    const base = {
      application,
      name,
      namespace,
      definedIn: `${rootSpec.source?.path}/values.yaml`,
      ...(unreleased.includes(name) ? { assumedRelease: true } : {}),
      ...(entries.some((e) => e.name === name && e.released === true) ? { released: true } : {}),
    };
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
