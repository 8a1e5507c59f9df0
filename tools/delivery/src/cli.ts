// `nx run delivery:gitops-render` / `gitops-check` / `gitops-diff --base=<ref>`: everything ArgoCD
// would apply, from the root Application down, rendered offline, checked as one system, and
// compared between a git ref and the working tree. `api-diff --base=<ref>`: the services' API
// contracts (docs/api) compared the same way, breaking changes first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { diffApis, formatApiChanges } from '@platform/contracts/tools';
import { stringify } from 'yaml';
import { registerExtraSchemas } from './extra-schemas';
import { renderSystem, ROOT_APPLICATION, type RenderedSystem } from './gitops';
import { checkSystem, formatSystemFindings } from './gitops-checks';
import { verifyVeleroChart } from './checks/velero-chart';

const WORKSPACE = resolve(process.env['WORKSPACE'] ?? process.cwd());

function write(system: RenderedSystem, out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, '_root.yaml'), [system.root, ...system.appOfApps].map((o) => stringify(o)).join('---\n'));
  for (const app of system.apps) {
    const header = app.notRendered
      ? `# ${app.name}: ${app.notRendered}\n`
      : app.renderError
        ? `# ${app.name}: RENDER FAILED: ${app.renderError}\n`
        : `# ${app.name} -> namespace ${app.namespace}\n`;
    writeFileSync(join(out, `${app.name}.yaml`), header + app.objects.map((o) => stringify(o)).join('---\n'));
  }
}

async function main(): Promise<number> {
  registerExtraSchemas();
  const [command = 'check', ...args] = process.argv.slice(2);
  const option = (name: string, fallback: string) =>
    args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  switch (command) {
    case 'render': {
      const out = resolve(option('out', join(WORKSPACE, 'dist/gitops')));
      const system = await renderSystem(WORKSPACE);
      write(system, out);
      for (const app of system.apps)
        process.stdout.write(
          `${app.name.padEnd(18)} ${app.notRendered ?? app.renderError ?? `${app.objects.length} objects -> ${app.namespace}`}\n`,
        );
      process.stdout.write(`Wrote ${out}\n`);
      return 0;
    }
    case 'check': {
      const system = await renderSystem(WORKSPACE);
      const findings = checkSystem(system, WORKSPACE);
      for (const app of system.apps.filter((a) => a.notRendered))
        process.stdout.write(`not rendered: ${app.name}: ${app.notRendered}\n`);
      if (findings.length > 0) {
        process.stderr.write(`${formatSystemFindings(findings)}\n${findings.length} problem(s).\n`);
        return 1;
      }
      process.stdout.write(
        `${system.apps.length} Applications, ${system.apps.reduce((n, a) => n + a.objects.length, 0)} objects: every check passed.\n`,
      );
      return 0;
    }
    case 'velero-chart': {
      // CI, online: the pinned Velero chart, pulled into --chart=DIR, against velero/upstream.yaml.
      const chart = option('chart', '');
      if (chart === '') {
        process.stderr.write('usage: gitops velero-chart --chart=DIR (the pinned chart, pulled and unpacked)\n');
        return 2;
      }
      const problems = await verifyVeleroChart(WORKSPACE, resolve(chart));
      if (problems.length > 0) {
        process.stderr.write(`${problems.map((p) => `velero/upstream.yaml: ${p}`).join('\n')}\n`);
        return 1;
      }
      process.stdout.write('The Velero chart matches velero/upstream.yaml and renders velero/values.yaml strictly.\n');
      return 0;
    }
    case 'api-diff': {
      // Each service's committed OpenAPI document at the base ref against the working tree, as
      // Markdown for the pull request's job summary. A report, not a gate: a breaking change may be
      // intended (a new major version), and the reviewer decides.
      const base = option('base', 'main');
      const documents = readdirSync(join(WORKSPACE, 'docs/api')).filter((f) => f.endsWith('.openapi.json'));
      const sections = documents.map((file) => {
        let before: unknown = { paths: {} };
        try {
          before = JSON.parse(
            execFileSync('git', ['-C', WORKSPACE, 'show', `${base}:docs/api/${file}`], {
              encoding: 'utf8',
              stdio: ['ignore', 'pipe', 'ignore'],
            }),
          );
        } catch {
          // Not in the base: every operation is new.
        }
        const after: unknown = JSON.parse(readFileSync(join(WORKSPACE, 'docs/api', file), 'utf8'));
        return formatApiChanges(file.replace(/\.openapi\.json$/, ''), diffApis(before, after));
      });
      process.stdout.write(`## API contracts: ${base} → this change\n\n${sections.join('\n')}`);
      return 0;
    }
    case 'diff': {
      const base = option('base', 'main');
      const scratch = mkdtempSync(join(tmpdir(), 'gitops-diff-'));
      try {
        execFileSync('git', ['-C', WORKSPACE, 'worktree', 'add', '--detach', join(scratch, 'base'), base], {
          stdio: 'ignore',
        });
        const before = join(scratch, 'before');
        const after = join(scratch, 'after');
        const baseTree = join(scratch, 'base');
        // A ref from before the GitOps tree existed renders as nothing: everything is new.
        if (existsSync(join(baseTree, ROOT_APPLICATION))) write(await renderSystem(baseTree), before);
        else mkdirSync(before, { recursive: true });
        write(await renderSystem(WORKSPACE), after);
        let diff = '';
        try {
          execFileSync('diff', ['-ruN', '--label', base, '--label', 'working tree', before, after], {
            encoding: 'utf8',
          });
        } catch (error) {
          diff = String((error as { stdout?: string }).stdout ?? '');
        }
        process.stdout.write(diff === '' ? `No change in what ArgoCD would apply (against ${base}).\n` : diff);
        return 0;
      } finally {
        execFileSync('git', ['-C', WORKSPACE, 'worktree', 'remove', '--force', join(scratch, 'base')], {
          stdio: 'ignore',
        });
        rmSync(scratch, { recursive: true, force: true });
      }
    }
    default:
      process.stderr.write(
        `usage: gitops render [--out=DIR] | check | diff [--base=REF] | velero-chart --chart=DIR | api-diff [--base=REF]\n`,
      );
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`gitops: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
