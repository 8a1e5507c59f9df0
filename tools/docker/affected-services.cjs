// Prints, as a JSON array, the services to release between two commits: those whose code (the Nx
// application) or whose chart (the `<name>-chart` project, the library chart included) is affected.
// A chart-only change is released too: the cluster renders a service's chart at the commit its
// image was built from (argocd/apps/releases.yaml), so a chart change reaches it with a release.
//   node tools/docker/affected-services.cjs <base> <head>
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');

/**
 * The services among Nx's affected projects: an app or its chart, for an app with an image (its
 * code in apps/, its chart with production values). The shared ingress has a chart and no image.
 */
function servicesToRelease(affectedProjects, root = ROOT) {
  const names = new Set(affectedProjects.map((name) => name.replace(/-chart$/, '')));
  return [...names]
    .filter(
      (name) =>
        existsSync(join(root, 'apps', name, 'project.json')) &&
        existsSync(join(root, 'deploy/charts', name, 'values-prod.yaml')),
    )
    .sort();
}

module.exports = { servicesToRelease };

if (require.main === module) {
  const [base, head] = process.argv.slice(2);
  const out = execFileSync(
    'npx',
    ['nx', 'show', 'projects', '--affected', `--base=${base}`, `--head=${head}`, '--json'],
    {
      encoding: 'utf8',
    },
  );
  process.stdout.write(JSON.stringify(servicesToRelease(JSON.parse(out.slice(out.indexOf('['))))));
}
