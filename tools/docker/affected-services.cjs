// Prints, as a JSON array, the services to release between two commits: those whose code (the Nx
// application) or whose chart (the `<name>-chart` project, the library chart included) is affected.
// A chart-only change is released too: the cluster renders a service's chart at the commit its
// image was built from (argocd/apps/releases.yaml), so a chart change reaches it with a release.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const [base, head] = process.argv.slice(2);
const out = execFileSync(
  'npx',
  ['nx', 'show', 'projects', '--affected', `--base=${base}`, `--head=${head}`, '--json'],
  { encoding: 'utf8' },
);
const services = [...new Set(JSON.parse(out.slice(out.indexOf('['))).map((name) => name.replace(/-chart$/, '')))]
  .filter((name) => existsSync(join(__dirname, '../../deploy/charts', name, 'values-prod.yaml')))
  .sort();
process.stdout.write(JSON.stringify(services));
