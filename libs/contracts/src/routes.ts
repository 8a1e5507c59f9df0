import { colonPath, type OperationSpec } from './operation';

/**
 * The paths every service answers besides its API's operations, to anyone: the probes, the
 * metrics scrape and the API's own contract. No other route may be public unless its operation says so.
 */
export const PLATFORM_PATHS: ReadonlySet<string> = new Set([
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/metrics',
  '/openapi.json',
]);

/** What the operations of an API say about a request path, whatever the framework matched. */
export interface RouteTable {
  /**
   * The route template (`/users/:id`, the label of metrics and logs) of the operation a request
   * was for, even when it failed before the framework routed it (a body too large, bad JSON).
   */
  template(method: string, path: string): string | undefined;
  /** The methods the API has for this path (empty when the path is not one of its own). */
  allowedMethods(path: string): string[];
  /** The operation a request is for (a HEAD is for the GET), undefined when none. */
  operation(method: string, path: string): OperationSpec | undefined;
}

/** The route table of an API's operations. */
export function routeTable(operations: readonly OperationSpec[]): RouteTable {
  // A literal segment wins over a parameter (`/users/me` over `/users/{id}`), as routers do.
  const byParameters = (path: string) => (path.match(/\{/g) ?? []).length;
  const routes = [...operations]
    .sort((a, b) => byParameters(a.path) - byParameters(b.path))
    .map((op) => ({
      op,
      method: op.method.toUpperCase(),
      template: colonPath(op.path),
      // A path parameter is one non-empty segment; the path is matched exactly, as the routers do
      // (case-sensitive, no trailing slash).
      pattern: new RegExp(`^${op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  const matching = (path: string) => routes.filter((route) => route.pattern.test(path));
  const find = (method: string, path: string) =>
    matching(path).find((route) => route.method === method || (method === 'HEAD' && route.method === 'GET'));
  return {
    template: (method, path) => find(method, path)?.template,
    operation: (method, path) => find(method, path)?.op,
    allowedMethods: (path) => {
      const methods = new Set(matching(path).map((route) => route.method));
      if (methods.has('GET')) methods.add('HEAD');
      return [...methods].sort();
    },
  };
}
