import type { KubeObject } from '../helm';
import type { RenderedSystem } from '../gitops';

/** An object as findings name it: kind, namespace (or cluster) and name. */
export const where = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? '(cluster)'}/${o.metadata.name}`;

/** The file that defines the child Applications (the app-of-apps' values). */
export const appsFileOf = (system: RenderedSystem) => system.apps[0]?.definedIn ?? 'argocd/apps/values.yaml';

/** Every rendered object, with the Application that renders it. */
export const objectsOf = (system: RenderedSystem) =>
  system.apps.flatMap((app) => app.objects.map((object) => ({ object, app })));

/** The Application that renders an object of this kind, if one does. */
export const appRendering = (system: RenderedSystem, kind: string) =>
  system.apps.find((a) => a.objects.some((o) => o.kind === kind));
