// Writes a new image tag (and registry) into the production values of the given services,
// keeping the files' comments and layout. Used by the release workflow; ArgoCD then syncs it.
//   node tools/docker/set-image-tags.cjs --tag <sha> --registry <host/path> --services '["user-service"]'
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { parseDocument } = require('yaml');

const ROOT = join(__dirname, '../..');

function setImageTags({ tag, registry, services, root = ROOT }) {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) || tag === 'latest')
    throw new Error(`not an immutable image tag: ${JSON.stringify(tag)}`);
  const changed = [];
  for (const service of services) {
    const file = join(root, 'deploy/charts', service, 'values-prod.yaml');
    if (!existsSync(file)) throw new Error(`no production values for ${service} (${file})`);
    const document = parseDocument(readFileSync(file, 'utf8'));
    if (registry) {
      const slash = registry.indexOf('/');
      document.setIn(['image', 'registry'], slash === -1 ? registry : registry.slice(0, slash));
      const prefix = slash === -1 ? '' : `${registry.slice(slash + 1)}/`;
      document.setIn(['image', 'repository'], `${prefix}${service}`);
    }
    document.setIn(['image', 'tag'], tag);
    writeFileSync(file, document.toString());
    changed.push(file);
  }
  return changed;
}

module.exports = { setImageTags };

if (require.main === module) {
  const arg = (name) => {
    const index = process.argv.indexOf(`--${name}`);
    return index === -1 ? undefined : process.argv[index + 1];
  };
  try {
    const changed = setImageTags({
      tag: arg('tag'),
      registry: arg('registry'),
      services: JSON.parse(arg('services') ?? '[]'),
    });
    for (const file of changed) process.stdout.write(`updated ${file}\n`);
  } catch (error) {
    process.stderr.write(`set-image-tags: ${error.message}\n`);
    process.exit(1);
  }
}
