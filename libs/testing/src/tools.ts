import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './bundle';

/** True when the run is CI's (`CI` set and not `false`), where a missing tool must fail, not skip. */
export const underCi = (): boolean => {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
};

/**
 * Whether a suite's outside tool is here. Missing on a developer's machine: the suite says so in one
 * line and skips. Missing under CI: this throws, naming the tool and how `.ci/run` installs it, so
 * a CI machine without it cannot pass with those tests unrun.
 */
export function toolPresent(tool: string, present: boolean, why: string, install: string): boolean {
  if (present) return true;
  if (underCi()) throw new Error(`${tool} is missing under CI (${why}): ${install}`);
  process.stderr.write(`${tool} is missing, so these tests are skipped: ${why}\n`);
  return false;
}

/**
 * The path a tool script of this repository prints (`tools/prometheus/promtool.sh bin`,
 * `tools/browser/chromium.sh path`), or undefined with its one-line reason when it cannot be had.
 */
export function toolFromScript(script: string, args: string[]): { path?: string; why: string } {
  try {
    return { path: execFileSync(join(WORKSPACE_ROOT, script), args, { encoding: 'utf8' }).trim(), why: '' };
  } catch (error) {
    return { why: String((error as { stderr?: unknown }).stderr ?? error).trim() };
  }
}
