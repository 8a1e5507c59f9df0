import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerExtraSchemas } from '../src/extra-schemas';
import { verifyVeleroChart } from '../src/checks/velero-chart';

// CI pulls the pinned Velero chart and runs `gitops velero-chart --chart=DIR` on it. Here a small
// stand-in chart (test/fixtures/velero-chart) proves what that check catches.
const ROOT = join(__dirname, '../../..');
const FIXTURE = join(__dirname, 'fixtures/velero-chart');
registerExtraSchemas();

describe('the online check of the pinned Velero chart against velero/upstream.yaml', () => {
  let scratch: string;
  let chart: string;
  let workspace: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'velero-chart-'));
    chart = join(scratch, 'chart');
    workspace = join(scratch, 'workspace');
    cpSync(FIXTURE, chart, { recursive: true });
    cpSync(join(ROOT, 'velero'), join(workspace, 'velero'), { recursive: true });
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));
  const edit = (file: string, from: string, to: string) => {
    const before = readFileSync(file, 'utf8');
    if (!before.includes(from)) throw new Error(`${file} has no ${from}`);
    writeFileSync(file, before.replace(from, to));
  };

  it('passes for a chart the record describes', async () => {
    expect(await verifyVeleroChart(workspace, chart)).toEqual([]);
  });

  it('fails when the chart runs another Velero line than the record says', async () => {
    edit(join(chart, 'Chart.yaml'), 'appVersion: 1.17.1', 'appVersion: 1.18.0');
    expect(await verifyVeleroChart(workspace, chart)).toEqual([
      'chart 11.4.0 runs Velero 1.18.0, the record says 1.17',
    ]);
  });

  it('fails when a key the record lists is not in the chart', async () => {
    edit(join(chart, 'values.yaml'), '    autoDetect: true\n', '');
    expect(await verifyVeleroChart(workspace, chart)).toContain(
      "the chart's values.yaml has no metrics.serviceMonitor.autoDetect",
    );
  });

  it('fails when the ServiceMonitor the backup alerts need would be left out', async () => {
    edit(join(workspace, 'velero/values.yaml'), '    autoDetect: false\n', '');
    expect(await verifyVeleroChart(workspace, chart)).toContain(
      'the chart renders no ServiceMonitor with velero/values.yaml: the backup alerts would read nothing',
    );
  });
});
