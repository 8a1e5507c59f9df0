// Release families that must move together: every @nestjs/* at one version, nx and every @nx/* at
// one version, and @opentelemetry/* on one release line (its stable 2.x packages at one version,
// its experimental 0.x packages at one version; the API, versioned on its own, apart). Renovate
// groups their updates; this refuses a package.json where one was left behind.
//   node tools/docker/aligned-packages.cjs [package.json]   (exit 1, one line per family, when not)
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const FAMILIES = [
  { name: 'NestJS', members: (pkg) => pkg.startsWith('@nestjs/') },
  { name: 'Nx', members: (pkg) => pkg === 'nx' || pkg.startsWith('@nx/') },
  {
    name: 'OpenTelemetry (stable)',
    members: (pkg, version) =>
      pkg.startsWith('@opentelemetry/') && pkg !== '@opentelemetry/api' && !version.startsWith('0.'),
  },
  {
    name: 'OpenTelemetry (experimental)',
    members: (pkg, version) => pkg.startsWith('@opentelemetry/') && version.startsWith('0.'),
  },
];

/** One line per family whose members are not all at one version. */
function misaligned(manifest) {
  const declared = { ...manifest.dependencies, ...manifest.devDependencies };
  const problems = [];
  for (const family of FAMILIES) {
    const members = Object.entries(declared).filter(([pkg, version]) => family.members(pkg, String(version)));
    const versions = new Set(members.map(([, version]) => version));
    if (versions.size > 1)
      problems.push(
        `${family.name} packages must share one version: ${members.map(([pkg, version]) => `${pkg}@${version}`).join(', ')}`,
      );
  }
  return problems;
}

if (require.main === module) {
  const file = process.argv[2] ?? join(__dirname, '../../package.json');
  const problems = misaligned(JSON.parse(readFileSync(file, 'utf8')));
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  process.exit(problems.length > 0 ? 1 : 0);
}

module.exports = { misaligned };
