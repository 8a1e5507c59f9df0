import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@platform/testing';

const { misaligned } = require('../aligned-packages.cjs') as {
  misaligned(manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }): string[];
};

const manifest = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('release families move together', () => {
  it('holds in this workspace: NestJS, Nx and OpenTelemetry each on one version', () => {
    expect(misaligned(manifest)).toEqual([]);
  });

  it('names the family and every member when one package is left behind', () => {
    const broken = { ...manifest, devDependencies: { ...manifest.devDependencies, '@nestjs/testing': '11.2.6' } };
    expect(misaligned(broken)).toEqual([
      expect.stringMatching(/^NestJS packages must share one version: .*@nestjs\/testing@11\.2\.6/),
    ]);
    const nx = { ...manifest, devDependencies: { ...manifest.devDependencies, '@nx/jest': '23.1.0' } };
    expect(misaligned(nx)).toEqual([
      expect.stringMatching(/^Nx packages must share one version: .*@nx\/jest@23\.1\.0/),
    ]);
  });

  it('keeps OpenTelemetry’s stable and experimental lines apart, and its API on its own', () => {
    const otel = (extra: Record<string, string>) =>
      misaligned({ dependencies: { '@opentelemetry/api': '1.9.1', '@opentelemetry/core': '2.12.0', ...extra } });
    expect(otel({ '@opentelemetry/exporter-trace-otlp-http': '0.223.0' })).toEqual([]);
    expect(otel({ '@opentelemetry/resources': '2.11.0' })).toEqual([
      expect.stringMatching(/^OpenTelemetry \(stable\) packages must share one version/),
    ]);
    expect(
      otel({ '@opentelemetry/exporter-trace-otlp-http': '0.223.0', '@opentelemetry/sdk-node': '0.222.0' }),
    ).toEqual([expect.stringMatching(/^OpenTelemetry \(experimental\) packages must share one version/)]);
  });

  it('is one Renovate group per family, so its updates come in one pull request', () => {
    const rules = (
      JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'renovate.json'), 'utf8')) as {
        packageRules: { matchPackageNames?: string[]; groupName?: string }[];
      }
    ).packageRules;
    const groupOf = (pkg: string) =>
      rules.find((rule) =>
        (rule.matchPackageNames ?? []).some((name) =>
          name.endsWith('/**') ? pkg.startsWith(name.slice(0, -2)) : name === pkg,
        ),
      )?.groupName;
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    const family = (prefix: string, also: string[] = []) =>
      new Set(declared.filter((pkg) => pkg.startsWith(prefix) || also.includes(pkg)).map(groupOf));
    expect(family('@nestjs/')).toEqual(new Set(['NestJS']));
    expect(family('@nx/', ['nx'])).toEqual(new Set(['Nx']));
    expect(family('@opentelemetry/')).toEqual(new Set(['OpenTelemetry']));
  });

  it('fails CI with one line per family', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aligned-'));
    try {
      const file = join(dir, 'package.json');
      writeFileSync(file, JSON.stringify({ dependencies: { '@nestjs/core': '11.2.12', '@nestjs/common': '11.2.10' } }));
      let stderr = '';
      let status = 0;
      try {
        execFileSync(process.execPath, [join(__dirname, '../aligned-packages.cjs'), file], { stdio: 'pipe' });
      } catch (error) {
        ({ status } = error as { status: number });
        stderr = String((error as { stderr: Buffer }).stderr);
      }
      expect(status).toBe(1);
      expect(stderr).toBe('NestJS packages must share one version: @nestjs/core@11.2.12, @nestjs/common@11.2.10\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
