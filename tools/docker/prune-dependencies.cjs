// Keeps in a built service's package.json and package-lock.json only the packages its bundle
// actually requires at run time, so the image's runtime stage installs exactly those with
// `npm ci --omit=dev`, every version pinned by the lock.
//
// Nx generates that package.json and lock per project graph (a platform library lists the
// packages of all its framework adapters); the bundle inlines almost everything, and ships only
// the packages its build leaves external (the `external` option of its inferred build target: the
// embedded database engine, loaded only without PostgreSQL). An external the workspace does not
// even install is an optional peer its caller guards at run time (NestJS's class-validator, pg's
// pg-native), and a development package is loaded only in development (pino-pretty): neither is
// shipped.
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const WORKSPACE = join(__dirname, '../..');

/** The packages a service's build leaves out of its bundle (the inferred `build` target's `external`). */
function externalPackages() {
  // The workspace plugin defines the services' build; it is not a project to import from.
  // eslint-disable-next-line @nx/enforce-module-boundaries
  const { SERVICE_EXTERNALS } = require('../nx-plugin/infer-targets.cjs');
  return [...new Set(SERVICE_EXTERNALS.map((pattern) => pattern.replace(/\/\*$/, '')))];
}

/**
 * The lock's entries that `roots` need, following each package's dependencies with Node's
 * resolution (the nearest `node_modules` folder upwards wins), as npm does.
 */
function reachable(lock, roots) {
  const packages = lock.packages;
  const keep = new Set();
  const resolve = (from, name) => {
    for (let base = from; ; base = base.slice(0, base.lastIndexOf('/node_modules/'))) {
      const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      if (packages[candidate] !== undefined) return candidate;
      if (!base.includes('/node_modules/')) {
        const top = `node_modules/${name}`;
        return packages[top] === undefined ? undefined : top;
      }
    }
  };
  const visit = (path) => {
    if (keep.has(path)) return;
    keep.add(path);
    const entry = packages[path];
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolve(path, name);
      if (found !== undefined) visit(found);
    }
  };
  for (const name of roots) {
    const found = resolve('', name);
    if (found === undefined) throw new Error(`${name} is not in the lock file`);
    visit(found);
  }
  return keep;
}

function prune(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const devOnly = new Set(
    Object.keys(JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')).devDependencies),
  );
  const installed = (name) => existsSync(join(WORKSPACE, 'node_modules', name, 'package.json'));
  const shipped = [];
  const missing = [];
  for (const name of externalPackages()) {
    // Development-only packages loaded on demand (pino-pretty for LOG_FORMAT=pretty) and optional
    // peers that are not installed are not shipped.
    if (devOnly.has(name) || !installed(name)) continue;
    if (manifest.dependencies?.[name] === undefined) missing.push(name);
    else shipped.push(name);
  }
  if (missing.length > 0)
    throw new Error(`The bundle requires packages its package.json does not list: ${missing.join(', ')}`);

  const before = Object.keys(manifest.dependencies ?? {}).length;
  manifest.dependencies = Object.fromEntries(shipped.sort().map((name) => [name, manifest.dependencies[name]]));
  delete manifest.devDependencies;
  const keep = reachable(lock, shipped);
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages)
      .filter(([path]) => path === '' || keep.has(path))
      .map(([path, entry]) => [path, path === '' ? { ...entry, dependencies: manifest.dependencies } : entry]),
  );
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  return `${dir}: ${shipped.length} of ${before} dependencies shipped (${shipped.join(', ') || 'none'}), ${keep.size} packages in the lock`;
}

if (require.main === module) {
  const [dir] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: prune-dependencies.cjs <dist/apps/service>\n');
    process.exit(2);
  }
  try {
    process.stdout.write(`${prune(dir)}\n`);
  } catch (error) {
    process.stderr.write(`prune-dependencies: ${error.message}\n`);
    process.exit(1);
  }
}

module.exports = { externalPackages, prune, reachable };
