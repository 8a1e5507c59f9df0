import { checkObjects } from '../check-chart';
import { ROOT_APPLICATION, type RenderedSystem } from '../gitops';
import type { SystemFinding } from '../gitops-checks';

/** Schemas of the root, the app-of-apps and every rendered object (and no object twice in one render); and rendering itself. */
export function schemaProblems(system: RenderedSystem): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  for (const f of checkObjects([system.root, ...system.bootstrapProjects, ...system.appOfApps]).filter(
    (f) => f.rule === 'schema' || f.rule === 'unique',
  ))
    add(ROOT_APPLICATION, f.rule, `${f.object}: ${f.message}`);
  for (const app of system.apps) {
    const file = app.path ?? app.definedIn;
    if (app.renderError !== undefined) add(file, 'renders', `Application ${app.name}: ${app.renderError}`);
    for (const f of checkObjects(app.objects)) add(file, f.rule, `${f.object}: ${f.message}`);
  }
  return findings;
}
