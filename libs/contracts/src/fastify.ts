import { principalOf } from '@platform/auth';
import { requireAccess } from '@platform/auth/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { colonPath, type Input, type OperationSpec } from './operation';
import type { OpenApiDocument } from './openapi';
import { bodyRequired, callerFor, requestValidator } from './validate';

export type FastifyOperationHandler<Op extends OperationSpec> = (
  input: Input<Op>,
  request: FastifyRequest,
  reply: FastifyReply,
) => unknown | Promise<unknown>;

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation of the contract this route serves (`fastifyRoute`). */
    operation?: OperationSpec;
  }
}

/**
 * The Fastify route of an operation: its access as the route's own `onRequest` hook (a request
 * that is not admitted stops there, its body unread), its method, URL and schemas (the request parts are validated
 * by Fastify with the platform's Ajv; the success responses are serialized by their schemas, while
 * problem details, rendered once as text, pass through), and the handler, given the typed input.
 * A body the operation requires but the request lacks is the platform's "body is required"
 * problem, as in the other frameworks; an optional body is validated when present. `preValidation`
 * runs after that check and before Fastify's validation.
 */
export function fastifyRoute<Op extends OperationSpec>(
  op: Op,
  handler: FastifyOperationHandler<Op>,
  hooks: { readonly preValidation?: Hook } = {},
): RouteOptions {
  const optionalBody = op.body !== undefined && op.bodyOptional === true;
  const validateOptionalBody = optionalBody
    ? requestValidator({ ...op, params: undefined, query: undefined, headers: undefined })
    : undefined;
  const response = Object.fromEntries(
    Object.entries(op.responses)
      .filter(([status, r]) => Number(status) < 300 && r.schema !== undefined)
      .map(([status, r]) => [status, r.schema]),
  );
  return {
    method: op.method.toUpperCase(),
    url: colonPath(op.path),
    config: { operation: op },
    ...(op.security === 'public' ? {} : { onRequest: requireAccess(op.security) }),
    schema: {
      ...(op.params === undefined ? {} : { params: op.params }),
      ...(op.query === undefined ? {} : { querystring: op.query }),
      ...(op.headers === undefined ? {} : { headers: op.headers }),
      ...(op.body === undefined || optionalBody ? {} : { body: op.body }),
      response,
    },
    preValidation: async (request, reply) => {
      if (op.body !== undefined) {
        if (request.body === undefined) {
          if (!optionalBody) throw bodyRequired();
        } else if (validateOptionalBody !== undefined) {
          validateOptionalBody({ body: request.body, caller: principalOf(request.raw) });
        }
      }
      await hooks.preValidation?.(request, reply);
    },
    // Fastify has validated every part with the operation's schemas.
    handler: (request, reply) =>
      handler(
        {
          params: request.params,
          query: request.query,
          headers: request.headers,
          body: request.body,
          caller: callerFor(op, principalOf(request.raw)),
        } as Input<Op>,
        request,
        reply,
      ),
  };
}

/** `GET /openapi.json`: the API's contract, generated from its operations. */
export const openApi = fp<{ document: OpenApiDocument }>(
  async (app: FastifyInstance, { document }) => {
    const body = JSON.stringify(document);
    app.get('/openapi.json', async (_request, reply) =>
      reply.type('application/json').header('cache-control', 'no-cache').send(body),
    );
  },
  { fastify: '5.x', name: '@platform/contracts' },
);
