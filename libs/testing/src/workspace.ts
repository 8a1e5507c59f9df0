import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './bundle';

export interface ScratchWorkspace {
  readonly root: string;
  /** Runs a command in the copy; throws with its output when it fails. */
  run(command: string, args: readonly string[]): string;
  /** Runs this workspace's Nx in the copy, without the daemon, Nx Cloud or colours. */
  nx(...args: string[]): string;
  remove(): void;
}

/**
 * A copy of this workspace as its files are now (tracked and untracked, ignored files left out),
 * committed once in a git repository of its own, with node_modules linked: generators and Nx's
 * view of a change can be tried there without touching the real one.
 */
export function scratchWorkspace(prefix: string): ScratchWorkspace {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };
  const run = (command: string, args: readonly string[]) =>
    execFileSync(command, args, { cwd: root, env, encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: WORKSPACE_ROOT })
    .toString('utf8')
    .split('\0')
    // Deleted but not yet committed files are still listed: leave them out, as the commit will.
    .filter((file) => file !== '' && existsOrLink(join(WORKSPACE_ROOT, file)));
  execFileSync('cp', ['--parents', ...files, root], { cwd: WORKSPACE_ROOT });
  symlinkSync(join(WORKSPACE_ROOT, 'node_modules'), join(root, 'node_modules'));
  run('git', ['init', '-q', '-b', 'main']);
  run('git', ['add', '-A']);
  run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'scratch']);
  return {
    root,
    run,
    nx: (...args) => run(process.execPath, [join(WORKSPACE_ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args]),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

function existsOrLink(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
