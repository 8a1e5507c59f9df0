import { type AddressInfo } from 'node:net';
import { frameworks } from './apps';

// With METRICS_PORT set (the chart sets it), /metrics is served on a port of its own, so the
// NetworkPolicy can admit the scraper to the metrics and nothing else.
describe.each(Object.keys(frameworks) as (keyof typeof frameworks)[])(
  'a metrics port of its own on %s',
  (framework) => {
    it('serves GET /metrics with the requests the API port answered, and nothing else; closes on shutdown', async () => {
      const app = await frameworks[framework]({ metricsPort: 0 });
      const metrics = app.runtime.metricsAddress as AddressInfo;
      const api = app.server.address() as AddressInfo;
      expect(metrics.port).not.toBe(api.port);
      const at = (port: number, path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${path}`, init);

      expect((await at(api.port, '/items/42')).status).toBe(200);
      const scrape = await at(metrics.port, '/metrics');
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await scrape.text()).toMatch(
        /^http_server_request_duration_seconds_count\{[^}]*route="\/items\/:id"[^}]*\} 1$/m,
      );
      const openMetrics = await at(metrics.port, '/metrics', { headers: { accept: 'application/openmetrics-text' } });
      expect(openMetrics.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);

      // The API is not reachable through the metrics port.
      for (const path of ['/items/42', '/health/ready', '/metrics/', '/METRICS'])
        expect((await at(metrics.port, path)).status).toBe(404);
      expect((await at(metrics.port, '/metrics', { method: 'POST' })).status).toBe(404);

      expect(await app.runtime.shutdown('test')).toBe(0);
      await expect(at(metrics.port, '/metrics')).rejects.toThrow();
    });
  },
);
