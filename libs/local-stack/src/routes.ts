import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type FixedResponse, system, type SystemManifest } from '@platform/system';

export interface Route {
  /** A path prefix: it matches itself and everything below it (`/users`, `/users/…`). */
  readonly path: string;
  readonly service: string;
  readonly localPort: number;
}

export type { FixedResponse };

export interface RouteTable {
  readonly routes: readonly Route[];
  readonly edgeHealth: SystemManifest['edgeHealth'];
  readonly notFound: FixedResponse;
}

/** Finds a workspace file from wherever this code runs (sources, tests, or a bundle under dist/). */
export function workspaceFile(relative: string, from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${from}`);
  }
}

/** The public routes of the system's manifest (deploy/services.json), as the edge serves them. */
export function loadRoutes(of: SystemManifest = system): RouteTable {
  return {
    routes: of.services.map(({ path, name, localPort }) => ({ path, service: name, localPort })),
    edgeHealth: of.edgeHealth,
    notFound: of.notFound,
  };
}

/** The route for a request path, with the ALB's `Prefix` semantics (element-wise, so `/usersX` does not match `/users`). */
export function matchRoute(routes: readonly Route[], path: string): Route | undefined {
  return routes.find((route) => path === route.path || path.startsWith(`${route.path}/`));
}
