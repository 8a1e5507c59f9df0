import { createHttpMetrics, createMetricsRegistry, scrape, UNMATCHED_ROUTE } from '../src/index';

describe('HTTP RED metrics', () => {
  it('counts and times requests by method, route template and status code', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const metrics = createHttpMetrics(registry);
    metrics.observe('GET', '/users/:id', 200, 0.012);
    metrics.observe('GET', '/users/:id', 200, 0.3);
    metrics.observe('POST', '/users', 409, 0.02);
    const { contentType, body } = await scrape(registry);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('http_server_requests_total{method="GET",route="/users/:id",status_code="200"} 2');
    expect(body).toContain('http_server_requests_total{method="POST",route="/users",status_code="409"} 1');
    expect(body).toContain(
      'http_server_request_duration_seconds_bucket{le="0.025",method="GET",route="/users/:id",status_code="200"} 1',
    );
    expect(body).toContain(
      'http_server_request_duration_seconds_count{method="GET",route="/users/:id",status_code="200"} 2',
    );
  });

  it('folds unknown methods into one value so a scanner cannot grow the series', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const metrics = createHttpMetrics(registry);
    for (const method of ['PROPFIND', 'FOO', 'BAR', 'get']) metrics.observe(method, UNMATCHED_ROUTE, 404, 0.001);
    const { body } = await scrape(registry);
    const series = body.split('\n').filter((line) => line.startsWith('http_server_requests_total{'));
    expect(series).toEqual(['http_server_requests_total{method="_OTHER",route="unmatched",status_code="404"} 4']);
  });

  it('includes the Node.js process metrics by default', async () => {
    const { body } = await scrape(createMetricsRegistry());
    expect(body).toContain('process_cpu_seconds_total');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
  });
});
