import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@platform/testing';

// tools/docker/affected-base.sh in a scratch git repository: a real `git`, and a `gh` on PATH
// that answers as GitHub's API would (the one outer edge).
const script = join(WORKSPACE_ROOT, 'tools/docker/affected-base.sh');
let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
const commit = (message: string) => {
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
};

function run(args: string[], ghAnswer = '') {
  const bin = join(repo, '.bin');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'gh'), `#!/bin/sh\necho "$*" > "${join(repo, '.gh-args')}"\nprintf '%s\\n' '${ghAnswer}'\n`);
  chmodSync(join(bin, 'gh'), 0o755);
  const env = join(repo, '.github-env');
  writeFileSync(env, '');
  execFileSync(script, args, {
    cwd: repo,
    env: { PATH: `${bin}:${process.env['PATH']}`, GITHUB_ENV: env, HOME: repo },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return Object.fromEntries(
    readFileSync(env, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );
}

let root: string;
let released: string;
let head: string;
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'affected-base-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'ci@example.com');
  git('config', 'user.name', 'ci');
  root = commit('first');
  released = commit('released');
  head = commit('not yet released');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

it('pull requests: the merge base with the target branch', () => {
  git('update-ref', 'refs/remotes/origin/main', released);
  git('checkout', '-q', '-b', 'feature', released);
  const change = commit('the change');
  expect(run(['merge-base', 'main'])).toEqual({ NX_BASE: released, NX_HEAD: change });
});

it('main: the last commit the release workflow succeeded on, asked of GitHub for this branch', () => {
  expect(run(['last-success', 'release.yml'], released)).toEqual({ NX_BASE: released, NX_HEAD: head });
  expect(readFileSync(join(repo, '.gh-args'), 'utf8')).toMatch(
    /^run list --workflow release\.yml --branch main --status success --limit 1 /,
  );
});

it.each([
  ['no successful run yet', ''],
  ['a commit no longer in this history (a force push)', 'f'.repeat(40)],
])('main with %s: the first commit, so everything is affected', (_, answer) => {
  expect(run(['last-success', 'release.yml'], answer)).toEqual({ NX_BASE: root, NX_HEAD: head });
});

it('refuses a call without its argument, with one line of usage', () => {
  expect(() => run(['merge-base'])).toThrow(/merge-base needs the target branch/);
  expect(() => run(['somewhere'])).toThrow(/usage: affected-base\.sh/);
});
