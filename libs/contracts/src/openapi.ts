import type { TObject, TSchema } from 'typebox';
import { type HeaderSpec, type OperationSpec, responsesOf } from './operation';
import { ProblemDetails } from './schemas';

export interface ApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
}

/** An OpenAPI 3.1 document (the parts this builder writes). */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: ApiInfo;
  readonly jsonSchemaDialect: string;
  readonly tags: readonly { name: string }[];
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: Record<string, Record<string, unknown>>;
  readonly security?: readonly Record<string, string[]>[];
}

const PROBLEM = 'application/problem+json';
const JSON_TYPE = 'application/json';

/** `x-request-id`: on every response, so a caller can quote it and find the request's log line and trace. */
export const REQUEST_ID_RESPONSE_HEADER: HeaderSpec = {
  description: 'The request id: the caller’s `x-request-id` when it is plain, else a new one.',
  required: true,
};

/**
 * A plain JSON copy of a schema: TypeBox marks its schemas with symbols, which OpenAPI tools do
 * not expect; `$id` (a TypeBox naming aid) becomes a reference to `components/schemas`.
 */
function plain(schema: TSchema): unknown {
  const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  const refs = (value: unknown, top: boolean): unknown => {
    if (Array.isArray(value)) return value.map((v) => refs(v, false));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    if (!top && typeof object['$id'] === 'string') return { $ref: `#/components/schemas/${object['$id']}` };
    const { $id: _id, ...rest } = object;
    return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, refs(v, false)]));
  };
  return refs(copy, true);
}

function parameters(where: 'path' | 'query' | 'header', schema: TObject | undefined) {
  if (schema === undefined) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = plain(property) as Record<string, unknown>;
    return {
      name,
      in: where,
      // A parameter with a default may be left out (validation fills it in): a client need not send it.
      required: where === 'path' || (required.has(name) && !('default' in rest)),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function headers(specs: Readonly<Record<string, HeaderSpec>> | undefined) {
  const all: Record<string, HeaderSpec> = { 'x-request-id': REQUEST_ID_RESPONSE_HEADER, ...specs };
  return Object.fromEntries(
    Object.entries(all).map(([name, h]) => [
      name,
      {
        description: h.description,
        required: h.required ?? false,
        schema: h.schema === undefined ? { type: 'string' } : plain(h.schema),
      },
    ]),
  );
}

function operationObject(op: OperationSpec) {
  const access = op.security;
  const security =
    access === 'public'
      ? []
      : [
          ...(access.people === undefined ? [] : [{ bearer: [...access.people] }]),
          ...(access.workloads === true ? [{ workload: [] }] : []),
        ];
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    tags: [...op.tags],
    security,
    parameters: [
      ...parameters('path', op.params),
      ...parameters('query', op.query),
      ...parameters('header', op.headers),
    ],
    ...(op.body === undefined
      ? {}
      : { requestBody: { required: op.bodyOptional !== true, content: { [JSON_TYPE]: { schema: plain(op.body) } } } }),
    responses: Object.fromEntries(
      Object.entries(responsesOf(op)).map(([status, response]) => [
        status,
        {
          description: response.description,
          headers: headers(response.headers),
          ...(response.problem
            ? { content: { [PROBLEM]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } } }
            : response.schema === undefined
              ? {}
              : { content: { [JSON_TYPE]: { schema: plain(response.schema) } } }),
        },
      ]),
    ),
  };
}

/** Named schemas the operations refer to (by `$id`), collected for `components/schemas`. */
function namedSchemas(operations: readonly OperationSpec[]): Record<string, unknown> {
  const found: Record<string, unknown> = { ProblemDetails: plain(ProblemDetails) };
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const object = value as Record<string, unknown>;
    if (typeof object['$id'] === 'string' && found[object['$id']] === undefined)
      found[object['$id']] = plain(object as TSchema);
    Object.values(object).forEach(visit);
  };
  for (const op of operations) {
    for (const part of [op.params, op.query, op.headers, op.body]) visit(part);
    for (const response of Object.values(responsesOf(op))) visit(response.schema);
  }
  return found;
}

export interface DocumentOptions {
  readonly info: ApiInfo;
  readonly operations: readonly OperationSpec[];
  /** How callers prove who they are (the `bearer` scheme of every operation that is not public). */
  readonly bearerDescription?: string;
}

/**
 * The OpenAPI 3.1 document of an API, from the operations its routes are registered from: every
 * operation, parameter, header, status code and schema, with problem details as one shared schema.
 * Deterministic (operations and keys in a stable order), so a committed copy can be diffed: the
 * order is by code point, the same on every machine (and a service never loads ICU's collation
 * data, a few MiB of its memory, just to sort its own paths at start-up).
 */
export function openApiDocument({ info, operations, bearerDescription }: DocumentOptions): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  for (const op of [...operations].sort((a, b) => byCodePoint(a.path, b.path) || byCodePoint(a.method, b.method))) {
    const item = (paths[op.path] ??= {});
    if (item[op.method] !== undefined) throw new Error(`Two operations for ${op.method.toUpperCase()} ${op.path}`);
    item[op.method] = operationObject(op);
  }
  const tags = [...new Set(operations.flatMap((op) => op.tags))].sort().map((name) => ({ name }));
  const schemas = namedSchemas(operations);
  return {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags,
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.keys(schemas)
          .sort()
          .map((k) => [k, schemas[k]]),
      ),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            bearerDescription ??
            'A person’s OAuth 2.0 access token (a JWT) from the platform’s OpenID Connect issuer (`OIDC_ISSUER_URL`), for the audience `OIDC_AUDIENCE`; the scopes listed are all needed. `platform:admin` makes an administrator.',
        },
        workload: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Kubernetes service-account token of a workload this service allows (`WORKLOAD_ALLOWED_CALLERS`), from the cluster’s issuer, for an audience naming this service.',
        },
      },
    },
  };
}
