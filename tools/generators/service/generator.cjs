// `npx nx g @platform/tools:service <name> --framework=express|nest|fastify`
// Creates <name>-service with the platform adopted, its tests, its Helm chart on the library chart
// and its entry in the system's manifest (deploy/services.json), from which its ArgoCD Application,
// its route (production ALB and local edge), its daily backup, its dashboards and its place in the
// local stack follow. Refuses a name that exists, changing nothing.
const { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { formatFiles, generateFiles } = require('@nx/devkit');

const TEMPLATE_CHART = 'deploy/charts/user-service';
const MANIFEST = 'deploy/services.json';

function fail(message) {
  throw new Error(message);
}

function validate(tree, options) {
  const name = options.name;
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name ?? '') || name.length > 30) {
    fail(
      `The service name must be lower-case words joined by dashes (at most 30 characters), e.g. inventory; got ${JSON.stringify(name)}.`,
    );
  }
  if (!['express', 'nest', 'fastify'].includes(options.framework))
    fail(`--framework must be express, nest or fastify; got ${JSON.stringify(options.framework)}.`);
  const service = name.endsWith('-service') ? name : `${name}-service`;
  const manifest = JSON.parse(tree.read(MANIFEST, 'utf8'));
  const taken = [
    tree.exists(`apps/${service}`) && `apps/${service}`,
    tree.exists(`deploy/charts/${service}`) && `deploy/charts/${service}`,
    manifest.services.some((s) => s.name === service || s.path === `/${name}`) &&
      `${service} or /${name} in ${MANIFEST}`,
  ].filter(Boolean);
  if (taken.length > 0) fail(`A service named ${service} already exists (${taken.join(', ')}); nothing was changed.`);
  return { name, service, manifest };
}

/**
 * The chart: Chart.yaml on the library (importing its defaults), the library's one template, and
 * values.yaml with only what differs for this service. Its values.schema.json is a link to the
 * library's schema, made on disk after the tree is written (a Tree holds no links).
 */
function addChart(tree, service) {
  const dir = `deploy/charts/${service}`;
  const rename = (text) => text.replaceAll('user-service', service).replace(/user accounts, \/users/, `${service}`);
  tree.write(`${dir}/Chart.yaml`, rename(tree.read(`${TEMPLATE_CHART}/Chart.yaml`, 'utf8')));
  tree.write(`${dir}/templates/platform.yaml`, tree.read(`${TEMPLATE_CHART}/templates/platform.yaml`, 'utf8'));
  tree.write(`${dir}/values-prod.yaml`, rename(tree.read(`${TEMPLATE_CHART}/values-prod.yaml`, 'utf8')));
  // A new service is called by nobody yet and calls nobody: its entry in deploy/services.json says whom it calls.
  tree.write(
    `${dir}/values.yaml`,
    `# ${service}: what differs from the platform's defaults (deploy/charts/platform-service/values.yaml\n` +
      `# documents every key). Whom it calls and who calls it: deploy/services.json. Production: values-prod.yaml.\n` +
      `image:\n  repository: platform/${service}\ndatabase:\n  existingSecret: ${service}-db\n`,
  );
  // Its dashboard: what tools/delivery/src/dashboards.ts makes of these values, which are the
  // template chart's (no dependencies, no background tasks) under the new name.
  tree.write(
    `${dir}/dashboards/${service}.json`,
    tree.read(`${TEMPLATE_CHART}/dashboards/user-service.json`, 'utf8').replaceAll('user-service', service),
  );
  return (workspaceRoot) => {
    const schema = join(workspaceRoot, dir, 'values.schema.json');
    if (!existsSync(schema)) symlinkSync('../platform-service/service-values.schema.json', schema);
  };
}

/**
 * The service's entry in the system's manifest (deploy/services.json): its route, the next free local
 * port, and no calls yet. Everything else follows from it: the local stack and its edge, the ALB
 * route, the ArgoCD Application, the daily backup, the dashboards, who may call whom.
 */
function addToManifest(tree, manifest, name, service, framework) {
  const localPort = Math.max(...manifest.services.map((s) => s.localPort)) + 1;
  manifest.services.push({ name: service, framework, path: `/${name}`, localPort, calls: [] });
  tree.write(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  return localPort;
}

/**
 * The service's OpenAPI document, committed in docs/api as its contract test expects: made from
 * its code (src/api.ts, bundled and loaded), as `GET /openapi.json` serves it.
 */
function writeContract(workspaceRoot, service) {
  const { buildSync } = require('esbuild');
  const bundle = join(workspaceRoot, 'tmp', `generator-${process.pid}`, `${service}-api.cjs`);
  buildSync({
    entryPoints: [join(workspaceRoot, 'apps', service, 'src/api.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    tsconfig: join(workspaceRoot, 'tsconfig.base.json'),
    logLevel: 'silent',
  });
  try {
    const { api } = require(bundle);
    mkdirSync(join(workspaceRoot, 'docs/api'), { recursive: true });
    writeFileSync(
      join(workspaceRoot, 'docs/api', `${service}.openapi.json`),
      `${JSON.stringify(api.document, null, 2)}\n`,
    );
  } finally {
    rmSync(join(bundle, '..'), { recursive: true, force: true });
  }
}

module.exports = async function serviceGenerator(tree, options) {
  const { name, service, manifest } = validate(tree, { framework: 'fastify', ...options });
  const framework = options.framework ?? 'fastify';
  const port = addToManifest(tree, manifest, name, service, framework);
  // The composition's type: InventoryService for inventory, as UserService is user-service's.
  const className = service.replace(/(^|-)([a-z0-9])/g, (_, _dash, letter) => letter.toUpperCase());
  const substitutions = { tmpl: '', name, service, className, framework, port };
  generateFiles(tree, join(__dirname, 'files/common'), `apps/${service}`, substitutions);
  generateFiles(tree, join(__dirname, `files/${framework}`), `apps/${service}`, substitutions);
  const linkSchema = addChart(tree, service);
  await formatFiles(tree);
  return () => {
    linkSchema(tree.root);
    writeContract(tree.root, service);
    process.stdout.write(
      `\n${service} (${framework}) is on /${name}, local port ${port}.\n` +
        `Next: npx nx test ${service} && npx nx run-many -t lint test -p ${service}-chart && npx nx run delivery:gitops-check\n`,
    );
  };
};
