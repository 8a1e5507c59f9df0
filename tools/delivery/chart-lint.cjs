// `nx lint <chart>`: helm lint --strict with the default values and with each environment's values
// (a service chart under the system's layers, as its Application renders it: system-layers.cjs).
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { helmBinary } = require('./helm.cjs');
const { isServiceChart, systemLayers } = require('./system-layers.cjs');

const chart = resolve(process.argv[2] ?? '.');
const helm = helmBinary();
const run = (args) => execFileSync(helm, args, { stdio: 'inherit', cwd: chart });

if (
  existsSync(join(chart, 'Chart.lock')) ||
  /dependencies:/.test(require('node:fs').readFileSync(join(chart, 'Chart.yaml'), 'utf8'))
) {
  run(['dependency', 'build', '.', '--skip-refresh']);
}
const layers = (file) => (isServiceChart(chart) ? systemLayers(file) : []).flatMap((layer) => ['-f', layer]);
run(['lint', '--strict', '.', ...layers()]);
for (const file of readdirSync(chart).filter((f) => /^values-.+\.yaml$/.test(f))) {
  run(['lint', '--strict', '.', ...layers(file), '-f', file]);
}
