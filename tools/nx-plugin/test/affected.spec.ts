import { join } from 'node:path';
import { scratchWorkspace, type ScratchWorkspace } from '@platform/testing';

// `nx affected` decides what CI tests: each case changes one file in a scratch copy of this
// workspace and asks Nx which projects that change affects.
let scratch: ScratchWorkspace;
beforeAll(() => {
  scratch = scratchWorkspace('affected');
});
afterAll(() => scratch.remove());

function affectedBy(file: string): string[] {
  const path = join(scratch.root, file);
  scratch.run('sh', ['-c', `printf '\\n' >> "$1"`, 'append', path]);
  try {
    return (JSON.parse(scratch.nx('show', 'projects', '--affected', '--base=HEAD', '--json')) as string[]).sort();
  } finally {
    scratch.run('git', ['checkout', '--', file]);
  }
}

it('a change to payment-service affects order-service, whose tests start payment-service from its sources', () => {
  const affected = affectedBy('apps/payment-service/src/app.ts');
  expect(affected).toEqual(expect.arrayContaining(['payment-service', 'order-service', 'system-e2e', 'resilience']));
  expect(affected).not.toContain('user-service');
});

it('a change to user-service affects order-service too', () => {
  expect(affectedBy('apps/user-service/src/app.ts')).toEqual(expect.arrayContaining(['user-service', 'order-service']));
});

it("a change to one chart's environment values affects that chart and the delivery checks only", () => {
  expect(affectedBy('deploy/charts/user-service/values-prod.yaml')).toEqual(['delivery', 'user-service-chart']);
});

it('a change to the library chart affects every service chart', () => {
  expect(affectedBy('deploy/charts/platform-service/templates/_image.tpl')).toEqual(
    expect.arrayContaining([
      'platform-service-chart',
      'user-service-chart',
      'order-service-chart',
      'payment-service-chart',
    ]),
  );
});

it('a change to the delivery checks affects every chart they check', () => {
  expect(affectedBy('tools/delivery/src/cli.ts')).toEqual(
    expect.arrayContaining(['delivery', 'user-service-chart', 'order-service-chart', 'payment-service-chart']),
  );
});
