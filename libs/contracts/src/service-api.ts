import { type DocumentOptions, openApiDocument, type OpenApiDocument } from './openapi';
import type { OperationSpec } from './operation';
import { routeTable, type RouteTable } from './routes';

/**
 * A service's API as the platform uses it: its operations (the routes are registered from them),
 * its OpenAPI document (served at `GET /openapi.json`) and its route table (the route template of
 * a request the framework could not route, and the methods a path has).
 */
export interface ServiceApi {
  readonly operations: readonly OperationSpec[];
  readonly document: OpenApiDocument;
  readonly routes: RouteTable;
}

export const serviceApi = (options: DocumentOptions): ServiceApi => ({
  operations: options.operations,
  document: openApiDocument(options),
  routes: routeTable(options.operations),
});
