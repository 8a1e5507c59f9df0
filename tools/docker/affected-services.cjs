// Prints, as a JSON array, the services whose image changes between two commits: the Nx
// applications affected that have a chart (deploy/charts/<name>) and so an image.
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const [base, head] = process.argv.slice(2);
const out = execFileSync(
  'npx',
  ['nx', 'show', 'projects', '--affected', `--base=${base}`, `--head=${head}`, '--type=app', '--json'],
  { encoding: 'utf8' },
);
const services = JSON.parse(out.slice(out.indexOf('[')))
  .filter((name) => existsSync(join(__dirname, '../../deploy/charts', name, 'values-prod.yaml')))
  .sort();
process.stdout.write(JSON.stringify(services));
