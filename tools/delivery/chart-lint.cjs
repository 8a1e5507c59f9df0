// `nx lint <chart>`: helm lint --strict with the default values and with each environment's values.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { helmBinary } = require('./helm.cjs');

const chart = resolve(process.argv[2] ?? '.');
const helm = helmBinary();
const run = (args) => execFileSync(helm, args, { stdio: 'inherit', cwd: chart });

if (
  existsSync(join(chart, 'Chart.lock')) ||
  /dependencies:/.test(require('node:fs').readFileSync(join(chart, 'Chart.yaml'), 'utf8'))
) {
  run(['dependency', 'build', '.', '--skip-refresh']);
}
run(['lint', '--strict', '.']);
for (const file of readdirSync(chart).filter((f) => /^values-.+\.yaml$/.test(f))) {
  run(['lint', '--strict', '.', '-f', file]);
}
