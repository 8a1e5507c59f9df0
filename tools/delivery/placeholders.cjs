// `npm run placeholders`: every example value still standing where production reads it (the example
// AWS account, issuers, host, repository, subnets, buckets), each with where it is and what to put
// there instead; exits 1 while any is left. The README's "Make it yours" lists the same.
'use strict';
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '../..');

/** The example values this repository ships with, and what each stands for. */
const PLACEHOLDERS = [
  {
    pattern: /\b123456789012\b/,
    what: 'the example AWS account',
    fix: 'your account id (registry, certificate, role ARNs)',
  },
  {
    pattern: /EXAMPLE/,
    what: 'an example identity issuer',
    fix: "your Cognito user pool's or EKS cluster's OIDC issuer URL",
  },
  { pattern: /\bexample\.com\b/, what: 'an example host', fix: 'your domain' },
  { pattern: /\bplatform-org\/platform\b(?!-admins)/, what: 'the example repository', fix: "this repository's URL" },
  {
    pattern: /@platform-org\/platform-admins\b/,
    what: 'an example code owner team',
    fix: 'your team (.github/CODEOWNERS)',
  },
  {
    pattern: /\b10\.0\.(?:0|1|2|20|21|22)\.0\/24\b/,
    what: 'an example subnet',
    fix: "your VPC's subnets (docs/prerequisites.md)",
  },
  { pattern: /\bplatform-(?:alb-logs|velero-backups)\b/, what: 'an example S3 bucket', fix: 'your bucket' },
];

/**
 * Where production reads its values: the app-of-apps, Velero, the production layer all services
 * share (deploy/values-prod.yaml), each chart's production layer, and
 * the library chart's defaults, which every service inherits (other charts' defaults are overridden
 * by their production layers).
 */
function files(root) {
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!['tests', 'templates', 'charts', 'node_modules'].includes(name)) walk(path);
      } else if (/\.ya?ml$/.test(name) && (!dir.includes('deploy/charts') || productionValues(dir, name))) {
        found.push(path);
      }
    }
  };
  for (const top of ['argocd', 'velero', 'deploy/charts']) walk(join(root, top));
  // The production layer every service shares (under each service's own values-prod.yaml).
  for (const name of readdirSync(join(root, 'deploy')))
    if (/^values-.+\.ya?ml$/.test(name)) found.push(join(root, 'deploy', name));
  // Who must approve changes to what ArgoCD applies.
  if (existsSync(join(root, '.github/CODEOWNERS'))) found.push(join(root, '.github/CODEOWNERS'));
  return found.sort();
}

const productionValues = (dir, name) =>
  name === 'values-prod.yaml' || (name === 'values.yaml' && dir.endsWith('platform-service'));

/** Every placeholder left under `root`: one entry per line and kind. */
function placeholders(root = ROOT) {
  const left = [];
  for (const file of files(root)) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (/^\s*#/.test(line)) return; // a comment naming an example is documentation
        for (const { pattern, what, fix } of PLACEHOLDERS) {
          if (pattern.test(line)) left.push({ file: relative(root, file), line: index + 1, what, fix });
        }
      });
  }
  return left;
}

module.exports = { placeholders, PLACEHOLDERS };

if (require.main === module) {
  const left = placeholders();
  for (const p of left) process.stdout.write(`${p.file}:${p.line}: ${p.what}: replace with ${p.fix}\n`);
  process.stdout.write(left.length === 0 ? 'No placeholders left.\n' : `${left.length} placeholders left.\n`);
  process.exit(left.length === 0 ? 0 : 1);
}
