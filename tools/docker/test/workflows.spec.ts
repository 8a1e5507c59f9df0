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
    revision?: string;
    tag: string;
    digests?: Record<string, string | undefined>;
    registry?: string;
    services: string[];
    root?: string;
  }): string[];
};

const workflow = (name: string) => readFileSync(join(WORKSPACE_ROOT, '.github/workflows', name), 'utf8');
const WORKFLOWS = readdirSync(join(WORKSPACE_ROOT, '.github/workflows')).filter((f) => f.endsWith('.yml'));

it('knows every workflow', () =>
  expect(WORKFLOWS.sort()).toEqual(['ci.yml', 'cluster-smoke.yml', 'release.yml', 'scorecard.yml']));

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

it('the pull request workflow pulls the pinned Velero chart and holds it to velero/upstream.yaml', () => {
  const job = parse(workflow('ci.yml')).jobs['velero-chart'] as { steps: { run?: string }[] };
  const runs = job.steps.map((s) => s.run ?? '').join('\n');
  expect(runs).toMatch(/pull velero --repo "\$REPO" --version "\$VERSION"/);
  expect(runs).toMatch(/cli\.cjs velero-chart --chart=/);
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
    expect(release.on.push['paths-ignore']).toContain('argocd/apps/releases.yaml');
    const promote =
      (release.jobs.promote.steps as { run?: string }[]).find((s) => s.run?.includes('set-image-tags'))?.run ?? '';
    expect(promote).toMatch(/\[skip ci\]/);
    expect(promote).toMatch(/set-image-tags\.cjs --revision "\$GITHUB_SHA" --tag "\$GITHUB_SHA" --digests digests /);
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
  });

  it('promotes in the production environment, and never while example values remain', () => {
    expect(release.jobs.promote.environment).toEqual({ name: 'production' });
    const steps = (release.jobs.promote.steps as { run?: string }[]).map((s) => s.run ?? '');
    const refuse = steps.findIndex((run) => run.includes('npm run --silent placeholders'));
    const record = steps.findIndex((run) => run.includes('set-image-tags'));
    expect(refuse).toBeGreaterThan(-1);
    expect(refuse).toBeLessThan(record);
    expect(release.permissions).toEqual({ contents: 'read' });
  });
});

describe('a supply chain a cluster can verify', () => {
  const release = parse(workflow('release.yml'));
  type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
  const images = release.jobs.images.steps as Step[];
  const buildAt = images.findIndex((s) => s.uses?.startsWith('docker/build-push-action@'));
  const signAt = images.findIndex((s) => s.run?.startsWith('cosign sign'));

  it('attaches an SBOM and SLSA provenance (mode=max) to every image', () => {
    expect(images[buildAt]?.with).toMatchObject({ sbom: true, provenance: 'mode=max' });
  });

  it('signs each image keylessly by its digest, after pushing it, with cosign pinned by SHA', () => {
    expect(signAt).toBeGreaterThan(buildAt);
    const installer = images.findIndex((s) => s.uses?.startsWith('sigstore/cosign-installer@'));
    expect(installer).toBeGreaterThan(-1);
    expect(installer).toBeLessThan(signAt);
    expect(images[installer]?.uses).toMatch(/@[0-9a-f]{40}$/);
    const sign = images[signAt] as Step;
    expect(sign.run).toBe('cosign sign --yes "${IMAGE}@${DIGEST}"');
    expect(sign.env).toEqual({
      IMAGE: '${{ env.IMAGE_REGISTRY }}/${{ matrix.service }}',
      DIGEST: '${{ steps.build.outputs.digest }}',
    });
    expect(sign.run).not.toMatch(/--key/);
  });

  it('gives the OIDC token only to the job that signs', () => {
    const jobs = Object.entries(release.jobs as Record<string, { permissions?: Record<string, string> }>);
    expect(jobs.filter(([, job]) => job.permissions?.['id-token'] === 'write').map(([name]) => name)).toEqual([
      'images',
    ]);
    expect(release.permissions).toEqual({ contents: 'read' });
  });

  it('tells operators how to verify a signature, with the identity this workflow signs as', () => {
    const security = readFileSync(join(WORKSPACE_ROOT, 'docs/security.md'), 'utf8');
    expect(security).toContain('--certificate-oidc-issuer https://token.actions.githubusercontent.com');
    // The signer is .github/workflows/release.yml on main: the file this test reads.
    expect(security).toMatch(
      /--certificate-identity https:\/\/github\.com\/<owner>\/<repository>\/\.github\/workflows\/release\.yml@refs\/heads\/main/,
    );
    expect(release.on.push.branches).toEqual(['main']);
    expect(security).toContain(`imagetools inspect "$IMAGE" --format '{{ json .Provenance }}'`);
  });

  it('names the signer to the in-cluster policy exactly as this workflow signs: its path, its branch, its issuer', () => {
    const apps = parse(readFileSync(join(WORKSPACE_ROOT, 'argocd/apps/values.yaml'), 'utf8'));
    const { workflow: path, oidcIssuer } = apps.imageVerification as { workflow: string; oidcIssuer: string };
    expect(path).toBe('.github/workflows/release.yml');
    // The workflow at that path is the one that signs, on the branch the root tracks, with GitHub's tokens.
    const signer = parse(readFileSync(join(WORKSPACE_ROOT, path), 'utf8'));
    expect((signer.jobs.images.steps as Step[]).some((s) => s.run?.startsWith('cosign sign'))).toBe(true);
    expect(signer.on.push.branches).toEqual([apps.targetRevision]);
    expect(oidcIssuer).toBe('https://token.actions.githubusercontent.com');
    const security = readFileSync(join(WORKSPACE_ROOT, 'docs/security.md'), 'utf8');
    expect(security).toContain(
      `--certificate-identity https://github.com/<owner>/<repository>/${path}@refs/heads/${apps.targetRevision}`,
    );
    expect(security).toContain(`--certificate-oidc-issuer ${oidcIssuer}`);
  });

  it('checks the registry signatures of every installed package in CI', () => {
    const ci = parse(workflow('ci.yml'));
    const steps = ci.jobs.affected.steps as Step[];
    const install = steps.findIndex((s) => s.run?.startsWith('npm ci'));
    const audit = steps.findIndex((s) => s.run === 'npm audit signatures');
    expect(audit).toBeGreaterThan(install);
  });

  it('scores the repository with OpenSSF Scorecard on main, pinned and least-privileged', () => {
    const scorecard = parse(workflow('scorecard.yml'));
    expect(scorecard.on.push.branches).toEqual(['main']);
    expect(scorecard.permissions).toBe('read-all');
    expect(scorecard.jobs.analysis.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    for (const step of scorecard.jobs.analysis.steps as Step[]) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
    expect(readFileSync(join(WORKSPACE_ROOT, 'README.md'), 'utf8')).toContain('scorecard.dev/viewer');
  });
});

const { servicesToRelease } = require('../affected-services.cjs') as {
  servicesToRelease(affectedProjects: string[]): string[];
};

describe('the services a release builds', () => {
  it('counts a service whose code or whose chart changed, and nothing else', () => {
    expect(servicesToRelease(['user-service'])).toEqual(['user-service']);
    // A chart-only change is released: the cluster renders the chart at the release's commit.
    expect(servicesToRelease(['payment-service-chart'])).toEqual(['payment-service']);
    expect(servicesToRelease(['order-service', 'order-service-chart', 'user-service-chart'])).toEqual([
      'order-service',
      'user-service',
    ]);
    // Not services: the shared ingress (a chart with production values, but no image), the
    // library chart (its dependents are affected through Nx's graph and come in by name), tools.
    expect(servicesToRelease(['platform-service-chart', 'shared-ingress-chart', 'delivery', 'runtime'])).toEqual([]);
  });
});

describe('set-image-tags', () => {
  let root: string;
  const releases = () => parse(readFileSync(join(root, 'argocd/apps/releases.yaml'), 'utf8')).releases;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'release-'));
    for (const file of ['argocd/apps/values.yaml', 'argocd/apps/releases.yaml', 'deploy/services.json'])
      cpSync(join(WORKSPACE_ROOT, file), join(root, file));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('records the commit and the image of the given services only, keeping the comments', () => {
    const sha = 'a'.repeat(40);
    const digest = `sha256:${'b'.repeat(64)}`;
    setImageTags({
      revision: sha,
      tag: sha,
      digests: { 'user-service': digest },
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform',
      services: ['user-service'],
      root,
    });
    expect(releases()).toEqual({
      'user-service': {
        revision: sha,
        image: {
          registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
          repository: 'platform/user-service',
          tag: sha,
          digest,
        },
      },
    });
    expect(readFileSync(join(root, 'argocd/apps/releases.yaml'), 'utf8')).toMatch(/^# Written by the release workflow/);
    // A later release of another service keeps the first one's record.
    setImageTags({
      revision: 'c'.repeat(40),
      tag: 'c'.repeat(40),
      digests: { 'order-service': digest },
      services: ['order-service'],
      root,
    });
    expect(Object.keys(releases())).toEqual(['user-service', 'order-service']);
    expect(releases()['user-service'].revision).toBe(sha);
  });

  it('refuses a service whose digest is missing, a branch for a revision, a mutable tag and an unknown service', () => {
    const good = { revision: 'd'.repeat(40), tag: 'd'.repeat(40), root };
    const digest = `sha256:${'b'.repeat(64)}`;
    expect(() => setImageTags({ ...good, digests: { 'user-service': digest }, services: ['order-service'] })).toThrow(
      /no image digest \(sha256:…\) recorded for order-service/,
    );
    expect(() =>
      setImageTags({ ...good, digests: { 'user-service': 'sha256:short' }, services: ['user-service'] }),
    ).toThrow(/no image digest/);
    expect(() =>
      setImageTags({ ...good, revision: 'main', digests: { 'user-service': digest }, services: ['user-service'] }),
    ).toThrow(/not the full commit SHA/);
    expect(() =>
      setImageTags({ ...good, tag: 'latest', digests: { 'user-service': digest }, services: ['user-service'] }),
    ).toThrow(/not an immutable image tag/);
    expect(() => setImageTags({ ...good, digests: { inventory: digest }, services: ['inventory'] })).toThrow(
      /inventory is not a released service/,
    );
    expect(releases()).toEqual({});
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
