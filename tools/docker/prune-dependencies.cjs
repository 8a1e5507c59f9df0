// Keeps in a built service's package.json only the packages its bundles actually require.
// Nx generates that package.json per project graph, and a platform library lists the packages of
// all its framework adapters; the bundle knows which ones this service loads.
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { builtinModules } = require('node:module');

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: prune-dependencies.cjs <dist/apps/service>\n');
  process.exit(2);
}
const packageFile = join(dir, 'package.json');
const manifest = JSON.parse(readFileSync(packageFile, 'utf8'));
const builtins = new Set(builtinModules);
const required = new Set();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cjs'))) {
  for (const [, specifier] of readFileSync(join(dir, file), 'utf8').matchAll(
    /(?:require|import)\("([^"./][^"]*)"\)/g,
  )) {
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    if (!builtins.has(name) && !name.startsWith('node:')) required.add(name);
  }
}
// Development-only packages loaded on demand (pino-pretty for LOG_FORMAT=pretty) are not shipped.
const devOnly = new Set(
  Object.keys(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).devDependencies ?? {}),
);
const missing = [...required].filter((name) => !(name in (manifest.dependencies ?? {})) && !devOnly.has(name));
if (missing.length > 0) {
  process.stderr.write(`The bundle requires packages its package.json does not list: ${missing.join(', ')}\n`);
  process.exit(1);
}
const before = Object.keys(manifest.dependencies ?? {}).length;
manifest.dependencies = Object.fromEntries(
  Object.entries(manifest.dependencies ?? {}).filter(([name]) => required.has(name)),
);
delete manifest.devDependencies;
writeFileSync(packageFile, `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(
  `${dir}: ${Object.keys(manifest.dependencies).length} of ${before} dependencies are required by the bundle\n`,
);
