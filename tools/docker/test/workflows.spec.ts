import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@platform/testing';
import { parse } from 'yaml';

const { validateWorkflow } = require('@action-validator/core') as {
  validateWorkflow(src: string): { errors: unknown[] };
};
const { setImageTags } = require('../set-image-tags.cjs') as {
  setImageTags(options: {
    tag: string;
    digests?: Record<string, string | undefined>;
    registry?: string;
    services: string[];
    root?: string;
  }): string[];
};

const workflow = (name: string) => readFileSync(join(WORKSPACE_ROOT, '.github/workflows', name), 'utf8');
const WORKFLOWS = readdirSync(join(WORKSPACE_ROOT, '.github/workflows')).filter((f) => f.endsWith('.yml'));

it('knows every workflow', () => expect(WORKFLOWS.sort()).toEqual(['ci.yml', 'cluster-smoke.yml', 'release.yml']));

describe.each(WORKFLOWS)('.github/workflows/%s', (name) => {
  it('is a valid GitHub Actions workflow (SchemaStore schema, via action-validator)', () => {
    expect(validateWorkflow(workflow(name)).errors).toEqual([]);
  });
});

it('pins every action to a full commit SHA, its version in a comment (what Renovate keeps current)', () => {
  const uses = WORKFLOWS.flatMap((name) =>
    workflow(name)
      .split('\n')
      .filter((line) => /^\s*(- )?uses:/.test(line))
      .map((line) => line.replace(/^\s*(- )?uses:\s*/, '')),
  );
  expect(uses.length).toBeGreaterThan(10);
  for (const use of uses) expect(use).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
});

describe('the cluster smoke test', () => {
  const smoke = parse(workflow('cluster-smoke.yml'));
  const steps = smoke.jobs.kind.steps as { name?: string; run?: string; if?: string; 'timeout-minutes'?: number }[];

  it('runs on pull requests that change what the cluster runs, reading the repository only', () => {
    expect(smoke.on.pull_request.paths).toEqual(
      expect.arrayContaining(['apps/**', 'libs/**', 'deploy/**', 'tools/smoke/**', 'Dockerfile', 'package-lock.json']),
    );
    expect(smoke.permissions).toEqual({ contents: 'read' });
  });

  it('is bounded in time: the job and every long step', () => {
    expect(smoke.jobs.kind['timeout-minutes']).toBeLessThanOrEqual(45);
    for (const step of steps.filter((s) => /docker build|kind create|kind\.sh (up|journey)/.test(s.run ?? '')))
      expect(step['timeout-minutes']).toBeGreaterThan(0);
  });

  it('builds the release’s images, deploys, runs the journeys, explains a failure and always tears down', () => {
    const runs = steps.map((s) => s.run ?? '');
    const at = (pattern: RegExp) => runs.findIndex((r) => pattern.test(r));
    expect(at(/docker build --build-arg APP="\$service" -t "platform\/\$service:smoke" \./)).toBeGreaterThan(-1);
    expect(at(/go install sigs\.k8s\.io\/kind@v\d+\.\d+\.\d+\n/)).toBeGreaterThan(at(/docker build/));
    expect(at(/^tools\/smoke\/kind\.sh up$/)).toBeGreaterThan(at(/kind create cluster/));
    expect(at(/^tools\/smoke\/kind\.sh journey$/)).toBeGreaterThan(at(/kind\.sh up/));
    expect(steps.find((s) => s.run === 'tools/smoke/kind.sh diagnose')?.if).toBe('failure()');
    expect(steps.find((s) => s.run?.includes('kind.sh down'))?.if).toBe('always()');
  });
});

it('the validator rejects a broken workflow (so a pass means something)', () => {
  expect(
    validateWorkflow('on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps: nope\n').errors.length,
  ).toBeGreaterThan(0);
  expect(
    validateWorkflow('on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz: []\n').errors.length,
  ).toBeGreaterThan(0);
});

describe('the pull request workflow', () => {
  const ci = parse(workflow('ci.yml'));
  const steps = ci.jobs.affected.steps as { uses?: string; run?: string }[];

  it('runs nx affected from where the change left main, charts and GitOps checks included', () => {
    expect(ci.on).toEqual({ pull_request: { branches: ['main'] } });
    expect(steps.some((s) => s.run === 'tools/docker/affected-base.sh merge-base "$GITHUB_BASE_REF"')).toBe(true);
    const affected = steps.find((s) => s.run?.includes('nx affected'))?.run ?? '';
    expect(affected).toMatch(/-t lint typecheck test build gitops-check --base="\$NX_BASE" --head="\$NX_HEAD"/);
    expect(affected).toMatch(/^tools\/postgres\/throwaway\.sh run -- /);
  });

  it('caches npm and Nx, and posts the rendered-manifest diff as the job summary', () => {
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))).toMatchObject({ with: { cache: 'npm' } });
    expect(steps.some((s) => s.uses?.startsWith('actions/cache@') && JSON.stringify(s).includes('.nx/cache'))).toBe(
      true,
    );
    expect(steps.find((s) => s.run?.includes('gitops-diff'))?.run).toMatch(/GITHUB_STEP_SUMMARY/);
  });

  it("reports what changes for the APIs' clients (breaking changes first) in the job summary", () => {
    expect(steps.find((s) => s.run?.includes('delivery:api-diff'))?.run).toMatch(
      /api-diff .*--base="\$NX_BASE".*>> "\$GITHUB_STEP_SUMMARY"/,
    );
  });
});

describe('the release workflow', () => {
  const release = parse(workflow('release.yml'));

  it('builds and pushes an image per affected service, tagged with the commit SHA, to a configured registry', () => {
    expect(release.on.push.branches).toEqual(['main']);
    const build = (release.jobs.images.steps as { uses?: string; with?: Record<string, unknown> }[]).find((s) =>
      s.uses?.startsWith('docker/build-push-action@'),
    );
    expect(build?.with).toMatchObject({
      'build-args': 'APP=${{ matrix.service }}',
      push: true,
      tags: '${{ env.IMAGE_REGISTRY }}/${{ matrix.service }}:${{ github.sha }}',
    });
    expect(release.env.IMAGE_REGISTRY).toMatch(/vars\.IMAGE_REGISTRY/);
    expect(release.jobs.images.strategy.matrix.service).toBe('${{ fromJson(needs.affected.outputs.services) }}');
  });

  it('cannot trigger itself and does not race a concurrent push', () => {
    expect(release.concurrency).toEqual({ group: 'release-main', 'cancel-in-progress': false });
    expect(release.on.push['paths-ignore']).toContain('deploy/charts/*/values-prod.yaml');
    const promote =
      (release.jobs.promote.steps as { run?: string }[]).find((s) => s.run?.includes('set-image-tags'))?.run ?? '';
    expect(promote).toMatch(/\[skip ci\]/);
    expect(promote).toMatch(/set-image-tags\.cjs --tag "\$GITHUB_SHA" --digests digests /);
    const images = release.jobs.images.steps as {
      id?: string;
      uses?: string;
      run?: string;
      with?: Record<string, string>;
    }[];
    expect(images.find((s) => s.uses?.startsWith('docker/build-push-action@'))?.id).toBe('build');
    expect(
      images.some(
        (s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.['name'] === 'digest-${{ matrix.service }}',
      ),
    ).toBe(true);
    expect(promote).toMatch(/git fetch origin main && git reset --hard origin\/main/);
    expect(promote).toMatch(/for attempt in 1 2 3 4 5/);
    expect(release.jobs.promote.permissions).toEqual({ contents: 'write' });
    expect(release.permissions).toEqual({ contents: 'read' });
  });
});

describe('set-image-tags', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'release-'));
    for (const service of ['user-service', 'order-service'])
      cpSync(
        join(WORKSPACE_ROOT, 'deploy/charts', service, 'values-prod.yaml'),
        join(root, 'deploy/charts', service, 'values-prod.yaml'),
        { recursive: true },
      );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes the tag and registry of the given services only, keeping comments', () => {
    const sha = 'a'.repeat(40);
    setImageTags({
      tag: sha,
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform',
      services: ['user-service'],
      root,
    });
    const updated = readFileSync(join(root, 'deploy/charts/user-service/values-prod.yaml'), 'utf8');
    expect(parse(updated).image).toEqual({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'platform/user-service',
      tag: sha,
    });
    expect(updated).toMatch(/^# Production \(EKS\) differences/);
    expect(parse(readFileSync(join(root, 'deploy/charts/order-service/values-prod.yaml'), 'utf8')).image.tag).toBe(
      '0.1.0',
    );
  });

  it('writes the digest each image was pushed with, and refuses a service whose digest is missing', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    setImageTags({ tag: 'c'.repeat(40), digests: { 'user-service': digest }, services: ['user-service'], root });
    const image = parse(readFileSync(join(root, 'deploy/charts/user-service/values-prod.yaml'), 'utf8')).image;
    expect(image).toMatchObject({ tag: 'c'.repeat(40), digest });
    expect(() =>
      setImageTags({ tag: 'd'.repeat(40), digests: { 'user-service': digest }, services: ['order-service'], root }),
    ).toThrow(/no image digest \(sha256:…\) recorded for order-service/);
    expect(() =>
      setImageTags({
        tag: 'd'.repeat(40),
        digests: { 'user-service': 'sha256:short' },
        services: ['user-service'],
        root,
      }),
    ).toThrow(/no image digest/);
  });

  it('refuses a mutable tag and an unknown service', () => {
    expect(() => setImageTags({ tag: 'latest', services: ['user-service'], root })).toThrow(
      /not an immutable image tag/,
    );
    expect(() => setImageTags({ tag: 'abc', services: ['inventory'], root })).toThrow(
      /no production values for inventory/,
    );
  });
});

describe('renovate.json', () => {
  const config = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'renovate.json'), 'utf8')) as {
    extends: string[];
    customManagers: { description: string; managerFilePatterns: string[]; matchStrings: string[] }[];
  };

  it('pins GitHub Actions to commit SHAs as it updates them', () => {
    expect(config.extends).toContain('helpers:pinGitHubActionDigests');
  });

  // Renovate's regexes are JavaScript regular expressions with named groups: each must still find
  // its pin in its file, or that pin silently stops being kept current.
  it.each((config.customManagers ?? []).map((m) => [m.description, m] as const))(
    'finds its pin: %s',
    (_description, manager) => {
      const file = (manager.managerFilePatterns[0] ?? '').replace(/^\/\^|\$\/$/g, '').replace(/\\\./g, '.');
      const text = readFileSync(join(WORKSPACE_ROOT, file), 'utf8');
      for (const pattern of manager.matchStrings) {
        const match = new RegExp(pattern).exec(text);
        expect(match?.groups?.['depName']).toBeTruthy();
        expect(match?.groups?.['currentValue']).toBeTruthy();
      }
    },
  );
});
