import { colonPath, type OperationSpec } from './operation';

/** What the operations of an API say about a request path, whatever the framework matched. */
export interface RouteTable {
  /**
   * The route template (`/users/:id`, the label of metrics and logs) of the operation a request
   * was for, even when it failed before the framework routed it (a body too large, bad JSON).
   */
  template(method: string, path: string): string | undefined;
  /** The methods the API has for this path (empty when the path is not one of its own). */
  allowedMethods(path: string): string[];
}

/** The route table of an API's operations. */
export function routeTable(operations: readonly OperationSpec[]): RouteTable {
  // A literal segment wins over a parameter (`/users/me` over `/users/{id}`), as routers do.
  const byParameters = (path: string) => (path.match(/\{/g) ?? []).length;
  const routes = [...operations]
    .sort((a, b) => byParameters(a.path) - byParameters(b.path))
    .map((op) => ({
      method: op.method.toUpperCase(),
      template: colonPath(op.path),
      // A path parameter is one non-empty segment.
      pattern: new RegExp(`^${op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    }));
  const matching = (path: string) => routes.filter((route) => route.pattern.test(path));
  return {
    template: (method, path) => {
      const found = matching(path);
      const exact = found.find((route) => route.method === method || (method === 'HEAD' && route.method === 'GET'));
      return exact?.template;
    },
    allowedMethods: (path) => {
      const methods = new Set(matching(path).map((route) => route.method));
      if (methods.has('GET')) methods.add('HEAD');
      return [...methods].sort();
    },
  };
}
