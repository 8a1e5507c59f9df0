import { build } from 'esbuild';
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const WORKSPACE_ROOT = join(__dirname, '../../..');

/** Where test bundles go: inside the workspace, so their external packages resolve from node_modules. */
export const testBundlePath = (name: string): string =>
  join(WORKSPACE_ROOT, 'tmp', 'test-bundles', `${process.pid}-${name}`);

/**
 * Bundles a TypeScript entry the way the services are built (workspace libraries inlined through
 * the tsconfig path aliases, npm packages left external so OpenTelemetry can patch them), so a
 * test can run it as a real `node` process.
 */
export async function bundleForNode(
  entry: string,
  outfile: string,
  /** Folders to copy beside the bundle, as the build's assets are: `{ migrations: '/abs/src/migrations' }`. */
  assets: Readonly<Record<string, string>> = {},
): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    sourcemap: 'inline',
    tsconfig: join(WORKSPACE_ROOT, 'tsconfig.base.json'),
    logLevel: 'silent',
  });
  for (const [target, source] of Object.entries(assets))
    cpSync(source, join(dirname(outfile), target), { recursive: true });
  return outfile;
}
