import { Router } from 'express';
import type { Registry } from 'prom-client';
import { METRICS_PATH, scrape } from './registry';

/** An Express Router answering `GET /metrics` in the Prometheus text format, or OpenMetrics when asked for it. */
export function metricsRouter(registry: Registry): Router {
  return Router().get(METRICS_PATH, async (req, res) => {
    const { contentType, body } = await scrape(registry, req.headers.accept);
    res.set('content-type', contentType).set('cache-control', 'no-store').send(body);
  });
}
