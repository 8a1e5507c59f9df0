import { createHttpMetrics, createMetricsRegistry, scrape } from '../src/index';

const OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('/metrics content negotiation', () => {
  const observed = () => {
    const registry = createMetricsRegistry({ defaultMetrics: true });
    const metrics = createHttpMetrics(registry);
    metrics.observe('GET', '/users/:id', 200, 0.3, traceId);
    metrics.observe('GET', '/users/:id', 200, 0.004);
    return registry;
  };

  it('answers OpenMetrics, with the trace of a sampled request as its bucket’s exemplar, to a scraper that asks', async () => {
    const { contentType, body } = await scrape(observed(), OPENMETRICS);
    expect(contentType).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(body).toMatch(
      new RegExp(
        `^http_server_request_duration_seconds_bucket\\{le="0\\.5",method="GET",route="/users/:id",status_code="200"\\} 2 # \\{trace_id="${traceId}"\\} 0\\.3 \\d+(\\.\\d+)?$`,
        'm',
      ),
    );
    // OpenMetrics names a counter family without `_total`; its samples keep the Prometheus name.
    expect(body).toContain('# TYPE http_server_requests counter');
    expect(body).toContain('http_server_requests_total{method="GET",route="/users/:id",status_code="200"} 2');
    expect(body).not.toContain('_total_total');
    expect(body).toContain('# TYPE process_cpu_seconds counter');
    expect(body.trimEnd().endsWith('# EOF')).toBe(true);
  });

  it('answers the Prometheus text format, without exemplars, to anyone else', async () => {
    for (const accept of [undefined, 'text/plain', '*/*']) {
      const { contentType, body } = await scrape(observed(), accept);
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(body).not.toContain('trace_id');
      expect(body).toContain('# TYPE http_server_requests_total counter');
      expect(body).not.toContain('# EOF');
    }
  });
});
