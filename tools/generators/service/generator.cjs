// `npx nx g @platform/tools:service <name> --framework=express|nest|fastify`
// Creates <name>-service with the platform adopted, its tests, its Helm chart on the library
// chart, its ArgoCD Application, its route (production ALB and local edge: deploy/routes.json) and
// its namespace in the daily Velero backup. Refuses a name that exists, changing nothing.
const { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { formatFiles, generateFiles } = require('@nx/devkit');
const { parseDocument } = require('yaml');

const TEMPLATE_CHART = 'deploy/charts/user-service';

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
  const routes = JSON.parse(tree.read('deploy/routes.json', 'utf8'));
  const taken = [
    tree.exists(`apps/${service}`) && `apps/${service}`,
    tree.exists(`deploy/charts/${service}`) && `deploy/charts/${service}`,
    routes.routes.some((r) => r.service === service || r.path === `/${name}`) &&
      `the route /${name} in deploy/routes.json`,
  ].filter(Boolean);
  if (taken.length > 0) fail(`A service named ${service} already exists (${taken.join(', ')}); nothing was changed.`);
  return { name, service, routes };
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
  // A new service is called by nobody yet and calls nobody: widen its values when that changes.
  tree.write(
    `${dir}/values.yaml`,
    `# ${service}: what differs from the platform's defaults (deploy/charts/platform-service/values.yaml\n` +
      `# documents every key). values-prod.yaml holds production's differences.\n` +
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

function addRoute(tree, routes, name, service) {
  const port = Math.max(...routes.routes.map((r) => r.localPort)) + 1;
  routes.routes.push({ path: `/${name}`, service, localPort: port });
  const routeLines = routes.routes.map(
    (r) =>
      `    ${JSON.stringify(r).replace(/":/g, '": ').replace(/,"/g, ', "').replace(/^\{/, '{ ').replace(/\}$/, ' }')}`,
  );
  const text = tree
    .read('deploy/routes.json', 'utf8')
    .replace(/"routes": \[[\s\S]*?\n {2}\]/, `"routes": [\n${routeLines.join(',\n')}\n  ]`);
  JSON.parse(text);
  tree.write('deploy/routes.json', text);
  return port;
}

function addApplication(tree, service) {
  const file = 'argocd/apps/values.yaml';
  const document = parseDocument(tree.read(file, 'utf8'));
  const applications = document.get('applications');
  const ingress = applications.items.findIndex((item) => item.get('name') === 'shared-ingress');
  const entry = document.createNode({
    name: service,
    namespace: service,
    project: 'platform-services',
    wave: 1,
    podSecurity: 'restricted',
    released: true,
    path: `deploy/charts/${service}`,
    valueFiles: ['values-prod.yaml'],
  });
  applications.items.splice(ingress === -1 ? applications.items.length : ingress, 0, entry);
  tree.write(file, document.toString());
}

function addToDailyBackup(tree, service) {
  const file = 'velero/schedules/values.yaml';
  const document = parseDocument(tree.read(file, 'utf8'));
  document.getIn(['daily', 'includedNamespaces']).add(service);
  tree.write(file, document.toString());
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
  const { name, service, routes } = validate(tree, { framework: 'fastify', ...options });
  const framework = options.framework ?? 'fastify';
  const port = addRoute(tree, routes, name, service);
  // The composition's type: InventoryService for inventory, as UserService is user-service's.
  const className = service.replace(/(^|-)([a-z0-9])/g, (_, _dash, letter) => letter.toUpperCase());
  const substitutions = { tmpl: '', name, service, className, framework, port };
  generateFiles(tree, join(__dirname, 'files/common'), `apps/${service}`, substitutions);
  generateFiles(tree, join(__dirname, `files/${framework}`), `apps/${service}`, substitutions);
  const linkSchema = addChart(tree, service);
  addApplication(tree, service);
  addToDailyBackup(tree, service);
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
