import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// The manifest is data at the workspace root, not a project: bundled into whatever imports this.
// eslint-disable-next-line @nx/enforce-module-boundaries
import manifest from '../../../deploy/services.json';

/**
 * The system's manifest (deploy/services.json): every service, once, with what the rest of the
 * platform derives from it. Bundled into whatever imports it, so a service's image carries the
 * manifest of the commit it was built from.
 */

export type Framework = 'express' | 'nest' | 'fastify';

export interface ServiceEntry {
  /** The service's name, which is also its namespace and its service account in the cluster. */
  readonly name: string;
  readonly framework: Framework;
  /** Its public route prefix: it matches itself and everything below it (`/users`, `/users/…`). */
  readonly path: string;
  /** Where it listens locally (`nx serve`, `npm start`). */
  readonly localPort: number;
  /** The services it calls. */
  readonly calls: readonly string[];
}

export interface FixedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface SystemManifest {
  readonly services: readonly ServiceEntry[];
  /** The edge's own answer to its health path. */
  readonly edgeHealth: FixedResponse & { readonly path: string };
  /** The edge's answer to a path no service answers. */
  readonly notFound: FixedResponse;
}

/** The manifest's file, from the workspace root (for tools that point others at it: Helm, the checks). */
export const MANIFEST_FILE = 'deploy/services.json';

const FRAMEWORKS: readonly string[] = ['express', 'nest', 'fastify'];

/**
 * Checks a manifest: names and paths well-formed and unique, ports unique, every call to a known
 * service other than itself, and no cycle (a service must be able to start before its callers).
 * Throws one line naming the first problem.
 */
export function validateManifest(candidate: unknown): SystemManifest {
  const fail = (message: string): never => {
    throw new Error(`${MANIFEST_FILE}: ${message}`);
  };
  const { services } = candidate as { services?: unknown };
  if (!Array.isArray(services) || services.length === 0) fail('"services" must list at least one service');
  const entries = services as ServiceEntry[];
  const seen = { names: new Set<string>(), paths: new Set<string>(), ports: new Set<number>() };
  for (const entry of entries) {
    const { name, framework, path, localPort, calls } = entry;
    const label = JSON.stringify(name);
    if (typeof name !== 'string' || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*-service$/.test(name))
      fail(`service ${label}: the name must be lower-case words joined by dashes, ending in -service`);
    if (!FRAMEWORKS.includes(framework)) fail(`service ${label}: framework must be one of ${FRAMEWORKS.join(', ')}`);
    if (typeof path !== 'string' || !/^\/[a-z0-9-]+$/.test(path))
      fail(`service ${label}: path must be one lower-case segment, like /users`);
    if (!Number.isInteger(localPort) || localPort < 1024 || localPort > 65535)
      fail(`service ${label}: localPort must be a port from 1024 to 65535`);
    if (!Array.isArray(calls) || calls.some((c) => typeof c !== 'string'))
      fail(`service ${label}: calls must list service names`);
    if (seen.names.has(name)) fail(`service ${label} is listed twice`);
    if (seen.paths.has(path)) fail(`path ${path} belongs to two services`);
    if (seen.ports.has(localPort)) fail(`local port ${localPort} belongs to two services`);
    seen.names.add(name);
    seen.paths.add(path);
    seen.ports.add(localPort);
  }
  for (const { name, calls } of entries) {
    for (const callee of calls) {
      if (callee === name) fail(`service "${name}" calls itself`);
      if (!seen.names.has(callee)) fail(`service "${name}" calls "${callee}", which is not a service of the manifest`);
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, chain: string[]) => {
    if (done.has(name)) return;
    if (visiting.has(name)) fail(`calls go round in a cycle: ${[...chain, name].join(' -> ')}`);
    visiting.add(name);
    for (const callee of entries.find((e) => e.name === name)?.calls ?? []) visit(callee, [...chain, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const { name } of entries) visit(name, []);
  return candidate as SystemManifest;
}

/** The manifest of another checkout (a scratch workspace, a tool's `--workspace`), read and checked now. */
export const readManifest = (workspaceRoot: string): SystemManifest =>
  validateManifest(JSON.parse(readFileSync(join(workspaceRoot, MANIFEST_FILE), 'utf8')));

/** The system as deploy/services.json describes it. */
export const system: SystemManifest = validateManifest(manifest);

/** Every service's name, in the manifest's order. */
export const serviceNames: readonly string[] = system.services.map((s) => s.name);

/** The entry of a service (throws for a name the manifest does not have). */
export function serviceEntry(name: string, of: SystemManifest = system): ServiceEntry {
  const entry = of.services.find((s) => s.name === name);
  if (entry === undefined) throw new Error(`${MANIFEST_FILE} has no service named ${JSON.stringify(name)}`);
  return entry;
}

/** The services that call `name`. */
export const callersOf = (name: string, of: SystemManifest = system): string[] =>
  of.services.filter((s) => s.calls.includes(name)).map((s) => s.name);

/** Where a service listens locally. */
export const localUrl = (name: string, of: SystemManifest = system): URL =>
  new URL(`http://localhost:${serviceEntry(name, of).localPort}`);

/** The environment variable that points a caller at `name` (`USER_SERVICE_URL`), as the charts and the local stack set it. */
export const urlVariable = (name: string): string => `${name.replace(/-/g, '_').toUpperCase()}_URL`;
