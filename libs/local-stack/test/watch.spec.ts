import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchBuilds } from '../src';

describe('watchBuilds', () => {
  let dist: string;
  let stop: () => void = () => undefined;
  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), 'dist-'));
    mkdirSync(join(dist, 'order-service'));
  });
  afterEach(() => {
    stop();
    rmSync(dist, { recursive: true, force: true });
  });

  it('reports a rebuilt bundle once per burst of writes, for that service only, and only when it changed', async () => {
    writeFileSync(join(dist, 'order-service', 'main.cjs'), '// as started');
    const built: string[] = [];
    stop = watchBuilds(dist, ['user-service', 'order-service'], (service) => built.push(service), 100);
    for (let i = 0; i < 3; i++) writeFileSync(join(dist, 'user-service', 'main.cjs'), `// build ${i}`);
    writeFileSync(join(dist, 'order-service', 'main.cjs.map'), '{}');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(built).toEqual(['user-service']);

    // The same bundle written again (a watcher's first build) is no change.
    writeFileSync(join(dist, 'order-service', 'main.cjs'), '// as started');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(built).toEqual(['user-service']);

    writeFileSync(join(dist, 'order-service', 'main.cjs'), '// build');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(built).toEqual(['user-service', 'order-service']);
  });
});
