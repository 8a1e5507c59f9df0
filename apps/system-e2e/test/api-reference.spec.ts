import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningStack, startStack } from '@platform/local-stack';
import { STARTUP_HOOK_TIMEOUT_MS, toolFromScript, toolPresent } from '@platform/testing';
import { type Browser, chromium } from 'playwright-core';

// The API reference at /docs, in a real headless browser (Debian's chromium, installed by
// tools/browser/chromium.sh when missing): the page loads and lists every operation of the three
// services, as their running processes document them.
const chromiumFound = toolFromScript('tools/browser/chromium.sh', ['path']);
const chromiumPath = toolPresent(
  'Chromium',
  chromiumFound.path !== undefined,
  `the API reference is tried in a browser: ${chromiumFound.why}`,
  ".ci/run installs it first (tools/browser/chromium.sh path: Debian's chromium package)",
)
  ? chromiumFound.path
  : undefined;

let stack: RunningStack;
let dataRoot: string;
let browser: Browser;

(chromiumPath === undefined ? describe.skip : describe)('the API reference at /docs', () => {
  beforeAll(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'api-reference-'));
    stack = await startStack({ ports: 'free', edgePort: 0, dataRoot, env: { LOG_LEVEL: 'warn' } });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  }, STARTUP_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it('serves the three services’ documents as one, every operation once', async () => {
    const merged = (await (await fetch(`${stack.edgeUrl}/docs/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(merged.openapi).toMatch(/^3\.1\./);
    for (const service of ['user-service', 'order-service', 'payment-service'] as const) {
      const own = (await (await fetch(`${stack.services[service]?.url}/openapi.json`)).json()) as typeof merged;
      for (const [path, item] of Object.entries(own.paths)) expect(merged.paths[path]).toEqual(item);
    }
  });

  it('loads in a browser and lists every operation of all three services', async () => {
    const merged = (await (await fetch(`${stack.edgeUrl}/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { summary?: string; operationId?: string }>>;
    };
    const summaries = Object.values(merged.paths)
      .flatMap((item) => Object.values(item))
      .map((operation) => operation.summary)
      .filter((summary): summary is string => summary !== undefined);
    expect(summaries.length).toBeGreaterThanOrEqual(14);

    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('requestfailed', (request) => {
      // The page's Content-Security-Policy stops the renderer's call-outs (its vendor's logo) before they leave.
      const blockedCallOut = request.failure()?.errorText === 'csp' && !request.url().startsWith(stack.edgeUrl);
      if (!blockedCallOut) failures.push(`${request.url()}: ${request.failure()?.errorText}`);
    });
    const response = await page.goto(`${stack.edgeUrl}/docs`);
    expect(response?.status()).toBe(200);
    // Redoc lists each operation by its summary in the side menu once the document is rendered.
    // (The function runs in the page, where `document` is the page's.)
    await page.waitForFunction(
      (count) =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll('li[data-item-id*="operation/"]').length >= count,
      summaries.length,
      {
        timeout: 60_000,
      },
    );
    const menu = await page.$$eval('li[data-item-id*="operation/"]', (items) =>
      items.map((item) => item.textContent ?? ''),
    );
    for (const summary of summaries) expect(menu.some((text) => text.includes(summary))).toBe(true);
    // The documents' references are links, and each one the edge serves answers.
    const links = await page.$$eval('a[href]', (anchors) =>
      anchors.map((a) => (a as unknown as { href: string }).href),
    );
    const local = [
      ...new Set(links.filter((href) => href.startsWith(`${stack.edgeUrl}/docs/`) && href.endsWith('.md'))),
    ];
    expect(local.sort()).toEqual([`${stack.edgeUrl}/docs/errors.md`, `${stack.edgeUrl}/docs/security.md`]);
    for (const href of local) {
      const res = await fetch(href);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^# /);
    }
    expect(links).toContain('https://www.rfc-editor.org/rfc/rfc9457');
    expect((await fetch(`${stack.edgeUrl}/docs/..%2Fpackage.md`)).status).toBe(404);
    expect(failures).toEqual([]);
  }, 90_000);
});
