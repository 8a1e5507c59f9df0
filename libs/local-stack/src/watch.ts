import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/**
 * Calls `onBuilt(service)` when a service's bundle (`<distDir>/<service>/main.cjs`) is written with
 * new content, once per burst of writes (a build writes the bundle and its source map in quick
 * succession); a build that writes the same bundle again (a watcher's first build) is no change.
 * Returns a function that stops watching.
 */
export function watchBuilds(
  distDir: string,
  services: readonly string[],
  onBuilt: (service: string) => void,
  quietMs = 300,
): () => void {
  const watchers: FSWatcher[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  const fingerprint = (service: string): string | undefined => {
    const bundle = join(distDir, service, 'main.cjs');
    return existsSync(bundle) ? createHash('sha256').update(readFileSync(bundle)).digest('hex') : undefined;
  };
  const seen = new Map(services.map((service) => [service, fingerprint(service)]));
  for (const service of services) {
    const dir = join(distDir, service);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    watchers.push(
      watch(dir, (_event, file) => {
        if (file !== 'main.cjs') return;
        clearTimeout(timers.get(service));
        timers.set(
          service,
          setTimeout(() => {
            timers.delete(service);
            const now = fingerprint(service);
            if (now === undefined || now === seen.get(service)) return;
            seen.set(service, now);
            onBuilt(service);
          }, quietMs),
        );
      }),
    );
  }
  return () => {
    for (const watcher of watchers) watcher.close();
    for (const timer of timers.values()) clearTimeout(timer);
  };
}
