// Records a release: for each given service, the commit its image was built from and the image
// (registry, repository, tag, the digest the registry returned) in argocd/apps/releases.yaml, keeping
// the file's comments. The app-of-apps renders that service's chart at that commit with that image,
// so chart and image reach the cluster together. Used by the release workflow's promote job, which
// records each pushed image's digest in <digests>/<service>.
//   node tools/docker/set-image-tags.cjs --revision <sha> --tag <sha> --digests <dir> --registry <host/path> --services '["user-service"]'
const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { parse, parseDocument } = require('yaml');

const ROOT = join(__dirname, '../..');
const RELEASES = 'argocd/apps/releases.yaml';
const APPS = 'argocd/apps/values.yaml';
const MANIFEST = 'deploy/services.json';

function setImageTags({ revision, tag, digests, registry, services, root = ROOT }) {
  if (!/^[0-9a-f]{40}$/.test(revision ?? ''))
    throw new Error(`not the full commit SHA the images were built from: ${JSON.stringify(revision)}`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag ?? '') || tag === 'latest')
    throw new Error(`not an immutable image tag: ${JSON.stringify(tag)}`);
  // A released service: one of the system's manifest (its Application is shaped by
  // serviceApplication), or an Application listed as released.
  const apps = parse(readFileSync(join(root, APPS), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8'));
  const released = new Set([
    ...(apps.serviceApplication?.released ? manifest.services.map((s) => s.name) : []),
    ...(apps.applications ?? []).filter((a) => a.released).map((a) => a.name),
  ]);
  const file = join(root, RELEASES);
  const document = parseDocument(existsSync(file) ? readFileSync(file, 'utf8') : 'releases: {}\n');
  for (const service of services) {
    if (!released.has(service)) throw new Error(`${service} is not a released service (${MANIFEST}, ${APPS})`);
    const digest = digests?.[service];
    if (!/^sha256:[a-f0-9]{64}$/.test(digest ?? ''))
      throw new Error(`no image digest (sha256:…) recorded for ${service}: ${JSON.stringify(digest)}`);
    const image = { tag, digest };
    if (registry) {
      const slash = registry.indexOf('/');
      image.registry = slash === -1 ? registry : registry.slice(0, slash);
      image.repository = `${slash === -1 ? '' : `${registry.slice(slash + 1)}/`}${service}`;
    }
    document.setIn(['releases', service], document.createNode({ revision, image: sortedImage(image) }));
  }
  const releases = document.get('releases');
  if (releases && releases.flow) releases.flow = false;
  writeFileSync(file, document.toString());
  return [file];
}

const sortedImage = ({ registry, repository, tag, digest }) =>
  Object.fromEntries(Object.entries({ registry, repository, tag, digest }).filter(([, v]) => v !== undefined));

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
      revision: arg('revision'),
      tag: arg('tag'),
      digests: digestDir === undefined ? {} : Object.fromEntries(services.map((s) => [s, readDigest(s)])),
      registry: arg('registry'),
      services,
    });
    for (const file of changed) process.stdout.write(`updated ${file}\n`);
  } catch (error) {
    process.stderr.write(`set-image-tags: ${error.message}\n`);
    process.exit(1);
  }
}
