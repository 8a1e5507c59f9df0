// The values files a service chart is rendered with before its own, in the order its ArgoCD
// Application gives them: the system's manifest (deploy/services.json: whom the service calls and
// who calls it), then, for an environment, the layer every service shares there
// (deploy/values-<environment>.yaml). The lint, the chart checks and the benchmark render with them.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');

/** Whether the chart in `chartDir` is a service chart (on the platform-service library). */
const isServiceChart = (chartDir) => {
  const file = join(chartDir, 'Chart.yaml');
  return existsSync(file) && /^\s*-\s*name:\s*platform-service\s*$/m.test(readFileSync(file, 'utf8'));
};

/** The system's layers under an environment's values file (`values-prod.yaml`), or under the defaults (none given). */
function systemLayers(environmentFile, root = ROOT) {
  const layers = [join(root, 'deploy/services.json')];
  if (environmentFile !== undefined) {
    const shared = join(root, 'deploy', environmentFile);
    if (existsSync(shared)) layers.push(shared);
  }
  return layers;
}

module.exports = { isServiceChart, systemLayers };
