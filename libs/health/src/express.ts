import { Router } from 'express';
import { HEALTH_PATHS, type HealthProbe, type HealthRegistry, httpStatusOf } from './registry';

/** An Express Router answering `/health/live`, `/health/ready` and `/health/startup`. */
export function healthRouter(registry: HealthRegistry): Router {
  const router = Router();
  for (const [probe, path] of Object.entries(HEALTH_PATHS) as [HealthProbe, string][]) {
    router.get(path, async (_req, res) => {
      const report = await registry.probe(probe);
      res.status(httpStatusOf(report)).set('cache-control', 'no-store').json(report);
    });
  }
  return router;
}
