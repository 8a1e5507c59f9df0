import { type RenderedSystem, readReleases, RELEASES_FILE, specOf } from '../gitops';
import type { SystemFinding } from '../gitops-checks';

const COMMIT = /^[0-9a-f]{40}$/;
const RUNS_CODE = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/**
 * Chart and image move together: an Application that runs this repository's code renders its chart
 * at the commit its image was built from, with that image, both from its release record; anything
 * else (a branch, another commit, another digest) would apply a chart to code it was not written for.
 */
export function releaseProblems(system: RenderedSystem, workspace: string): SystemFinding[] {
  const problems: SystemFinding[] = [];
  const releases = readReleases(workspace);
  for (const app of system.apps) {
    if (app.path === undefined || !app.objects.some((o) => RUNS_CODE.has(o.kind))) continue;
    const add = (message: string) =>
      problems.push({ file: app.definedIn, rule: 'release-revision', message: `Application ${app.name} ${message}` });
    const source = specOf(app.application).source;
    const revision = source?.targetRevision ?? '';
    const parameters = new Map((source?.helm?.parameters ?? []).map((p) => [p.name, p.value]));
    const release = releases[app.name];
    if (!COMMIT.test(revision)) {
      add(
        `renders its chart from ${revision || 'no revision'}, not from the commit its image was built from (mark it released: its record in ${RELEASES_FILE} gives both)`,
      );
      continue;
    }
    if (app.assumedRelease) continue;
    if (release === undefined) {
      add(`renders at ${revision}, but ${RELEASES_FILE} records no release of it`);
      continue;
    }
    if (revision !== release.revision)
      add(`renders its chart at ${revision}, but its image was built from ${release.revision} (${RELEASES_FILE})`);
    if (parameters.get('image.digest') !== release.image.digest || parameters.get('image.tag') !== release.image.tag)
      add(`runs image ${parameters.get('image.tag')}@${parameters.get('image.digest')}, not its release's`);
  }
  for (const [name, release] of Object.entries(releases)) {
    if (!system.apps.some((a) => a.name === name))
      problems.push({
        file: RELEASES_FILE,
        rule: 'release-revision',
        message: `${name} has a release record but no Application renders it`,
      });
    else if (!COMMIT.test(String(release.revision)) || !/^sha256:[0-9a-f]{64}$/.test(String(release.image?.digest)))
      problems.push({
        file: RELEASES_FILE,
        rule: 'release-revision',
        message: `${name}'s release must name a full commit SHA and a sha256 image digest`,
      });
  }
  return problems;
}
