import { principalOf } from '@platform/auth';
import { requireAccess } from '@platform/auth/fastify';
import type { TSchema } from 'typebox';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestAsyncHookHandler,
  preValidationAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { colonPath, type OperationSpec } from './operation';
import type { OpenApiDocument } from './openapi';
import { ProblemDetails } from './schemas';
import { bodyRequired, requestValidator } from './validate';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation of the contract this route serves (`operationRoute`). */
    operation?: OperationSpec;
  }
}

/** A declared request part as a route schema takes it: its TypeBox schema, or nothing. */
type Part<S> = [NonNullable<S>] extends [never] ? undefined : NonNullable<S>;

/**
 * The route schema of an operation, typed part by part, so that a Fastify app with the TypeBox
 * type provider (`FastifyPluginAsyncTypebox`) types the handler's `request.params`, `.query`,
 * `.headers` and `.body` from the contract, without a cast. An optional body is validated by the
 * route's `preValidation` instead (Fastify's schema cannot say "absent or this").
 */
export interface OperationSchema<Op extends OperationSpec> {
  readonly params: Part<Op['params']>;
  readonly querystring: Part<Op['query']>;
  readonly headers: Part<Op['headers']>;
  readonly body: Op['bodyOptional'] extends true ? undefined : Part<Op['body']>;
  /** Every status of the operation: success bodies, and problem details for the others. */
  readonly response: Readonly<Record<number, TSchema>>;
}

/** The route options of an operation; the caller adds the `handler`. */
export interface OperationRoute<Op extends OperationSpec> {
  readonly method: string;
  readonly url: string;
  readonly config: { readonly operation: Op };
  readonly schema: OperationSchema<Op>;
  readonly onRequest?: onRequestAsyncHookHandler;
  readonly preValidation: preValidationAsyncHookHandler;
}

// The problem schema without its `$id`: each route compiles it on its own.
const { $id: _problemId, ...problemDetails } = ProblemDetails as typeof ProblemDetails & { readonly $id?: string };

/**
 * An operation of the contract as a Fastify route, but for its handler: method, URL, the schemas
 * of every request part and of every response (Fastify validates the parts with the platform's
 * Ajv and serializes success bodies; problem details, rendered once as text, pass through), and its
 * access as the route's own `onRequest` hook (a request that is not admitted stops there, its body
 * unread). A body the operation requires but the request lacks is the platform's "body is
 * required" problem, as in the other frameworks; an optional body is validated when present.
 * `hooks.preValidation` runs after that check, before Fastify's validation.
 *
 *   app.route({ ...operationRoute(getPayment), handler: (request) => payments.get(request.params.id, callerOf(request)) })
 */
export function operationRoute<Op extends OperationSpec>(
  op: Op,
  hooks: { readonly preValidation?: Hook } = {},
): OperationRoute<Op> {
  const optionalBody = op.body !== undefined && op.bodyOptional === true;
  const validateOptionalBody = optionalBody
    ? requestValidator({ ...op, params: undefined, query: undefined, headers: undefined })
    : undefined;
  const response = Object.fromEntries(
    Object.entries(op.responses)
      .map(([status, r]) => [status, r.problem === true ? problemDetails : r.schema] as const)
      .filter((entry): entry is readonly [string, TSchema] => entry[1] !== undefined),
  );
  // Only the parts the operation declares (the type says `undefined` for the others).
  const schema = {
    ...(op.params === undefined ? {} : { params: op.params }),
    ...(op.query === undefined ? {} : { querystring: op.query }),
    ...(op.headers === undefined ? {} : { headers: op.headers }),
    ...(op.body === undefined || optionalBody ? {} : { body: op.body }),
    response,
  } as OperationSchema<Op>;
  return {
    method: op.method.toUpperCase(),
    url: colonPath(op.path),
    config: { operation: op },
    schema,
    ...(op.security === 'public' ? {} : { onRequest: requireAccess(op.security) }),
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
