import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Route {
  /** A path prefix: it matches itself and everything below it (`/users`, `/users/…`). */
  readonly path: string;
  readonly service: string;
  readonly localPort: number;
}

export interface FixedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface RouteTable {
  readonly routes: readonly Route[];
  readonly edgeHealth: FixedResponse & { readonly path: string };
  readonly notFound: FixedResponse;
}

/** The file both the production ingress chart and the local edge read. */
export const ROUTES_FILE = 'deploy/routes.json';

/** Finds a workspace file from wherever this code runs (sources, tests, or a bundle under dist/). */
export function workspaceFile(relative: string, from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${from}`);
  }
}

export function loadRoutes(file = workspaceFile(ROUTES_FILE)): RouteTable {
  const table = JSON.parse(readFileSync(file, 'utf8')) as RouteTable;
  for (const route of table.routes) {
    if (!/^\/[a-z0-9-]+$/.test(route.path))
      throw new Error(`${file}: route path ${route.path} must be one lower-case segment`);
  }
  return table;
}

/** The route for a request path, with the ALB's `Prefix` semantics (element-wise, so `/usersX` does not match `/users`). */
export function matchRoute(routes: readonly Route[], path: string): Route | undefined {
  return routes.find((route) => path === route.path || path.startsWith(`${route.path}/`));
}
