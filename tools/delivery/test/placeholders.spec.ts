import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@platform/testing';

interface Placeholder {
  file: string;
  line: number;
  what: string;
  fix: string;
}
const { placeholders, PLACEHOLDERS } = require('../placeholders.cjs') as {
  placeholders: (root?: string) => Placeholder[];
  PLACEHOLDERS: { what: string }[];
};

/** What someone making it theirs would write instead of each example value. */
const REAL: [RegExp, string][] = [
  [/123456789012/g, '210987654321'],
  [/EXAMPLE/g, 'B1D2C3'],
  [/example\.com/g, 'shop.acme.test'],
  [/platform-org\/platform/g, 'acme/shop'],
  [/10\.0\.(0|1|2|20|21|22)\.0\/24/g, '10.8.$1.0/24'],
  [/platform-(alb-logs|velero-backups)/g, 'acme-$1'],
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('npm run placeholders', () => {
  it('lists the example values production reads, every kind, each where it is', () => {
    const left = placeholders(WORKSPACE_ROOT);
    for (const { what } of PLACEHOLDERS) expect(left.map((p) => p.what)).toContain(what);
    expect(left).toContainEqual({
      file: 'deploy/values-prod.yaml',
      line: expect.any(Number),
      what: 'the example AWS account',
      fix: expect.stringContaining('your account id'),
    });
    expect(left.some((p) => p.file.includes('/tests/') || p.file.includes('/templates/'))).toBe(false);
  });

  it('finds none once each is replaced, and names the one put back', () => {
    const copy = mkdtempSync(join(tmpdir(), 'placeholders-'));
    try {
      for (const top of ['argocd', 'velero', 'deploy', '.github']) {
        cpSync(join(WORKSPACE_ROOT, top), join(copy, top), { recursive: true });
      }
      for (const file of filesUnder(copy)) {
        const text = readFileSync(file, 'utf8');
        writeFileSync(
          file,
          REAL.reduce((t, [pattern, value]) => t.replace(pattern, value), text),
        );
      }
      expect(placeholders(copy)).toEqual([]);
      const velero = join(copy, 'velero/values.yaml');
      writeFileSync(velero, readFileSync(velero, 'utf8').replace('acme-velero-backups', 'platform-velero-backups'));
      expect(placeholders(copy)).toEqual([
        expect.objectContaining({ file: 'velero/values.yaml', what: 'an example S3 bucket' }),
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
