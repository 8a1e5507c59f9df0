// Writes a new image tag, the image's digest (and the registry) into the production values of the
// given services, keeping the files' comments and layout. Used by the release workflow, which
// records each pushed image's digest in <digests>/<service>; ArgoCD then syncs it.
//   node tools/docker/set-image-tags.cjs --tag <sha> --digests <dir> --registry <host/path> --services '["user-service"]'
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { parseDocument } = require('yaml');

const ROOT = join(__dirname, '../..');

function setImageTags({ tag, digests, registry, services, root = ROOT }) {
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
    if (digests !== undefined) {
      const digest = digests[service];
      if (!/^sha256:[a-f0-9]{64}$/.test(digest ?? ''))
        throw new Error(`no image digest (sha256:…) recorded for ${service}: ${JSON.stringify(digest)}`);
      document.setIn(['image', 'digest'], digest);
    }
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
    const digestDir = arg('digests');
    const services = JSON.parse(arg('services') ?? '[]');
    const readDigest = (service) => {
      const file = join(digestDir, service);
      return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
    };
    const changed = setImageTags({
      tag: arg('tag'),
      digests: digestDir === undefined ? undefined : Object.fromEntries(services.map((s) => [s, readDigest(s)])),
      registry: arg('registry'),
      services,
    });
    for (const file of changed) process.stdout.write(`updated ${file}\n`);
  } catch (error) {
    process.stderr.write(`set-image-tags: ${error.message}\n`);
    process.exit(1);
  }
}
