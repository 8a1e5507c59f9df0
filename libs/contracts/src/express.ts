import type { Authenticator } from '@platform/auth';
import { principalOf } from '@platform/auth';
import { requireAccess } from '@platform/auth/express';
import { jsonBody } from '@platform/errors/express';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { colonPath, type Input, type OperationSpec } from './operation';
import type { OpenApiDocument } from './openapi';
import { requestValidator } from './validate';

export type OperationHandler<Op extends OperationSpec> = (
  input: Input<Op>,
  req: Request,
  res: Response,
) => unknown | Promise<unknown>;

export interface OperationRouterOptions {
  /** Verifies the bearer tokens of the operations that need one; required when any does. */
  readonly auth?: Authenticator;
  /** Largest accepted JSON body; 100 kB by default. */
  readonly bodyLimitBytes?: number;
}

const SETTINGS = Symbol('@platform/contracts:operation-router');
const OPERATION = Symbol('@platform/contracts:operation');

/** A Router for an API's operations (`operationRouter`): strict, case-sensitive, and able to guard its routes. */
export type OperationRouter = Router & { readonly [SETTINGS]: OperationRouterOptions };

/**
 * The Router an API's operations are registered on with `route`. It routes strictly and
 * case-sensitively (`/Users` and `/users/` are not `/users`), as Fastify and the load balancer do.
 */
export function operationRouter(options: OperationRouterOptions = {}): OperationRouter {
  const router = Object.assign(Router({ caseSensitive: true, strict: true }), { [SETTINGS]: options });
  // Deny by default: a route that is not an operation (registered by `route`, its access on it) is
  // refused when it is registered, not found later unguarded; so is `router.route(path)`, except
  // as Express's own methods use it.
  const makeRoute = router.route.bind(router);
  let registering = false;
  router.route = (path: string) => {
    if (!registering)
      throw new Error(
        `router.route(${JSON.stringify(path)}) is not an operation of the API: register it with route(router, operation, handler)`,
      );
    return makeRoute(path);
  };
  for (const method of ['get', 'post', 'put', 'patch', 'delete', 'all'] as const) {
    const register = router[method].bind(router) as (path: string, ...handlers: unknown[]) => Router;
    router[method] = ((path: string, ...handlers: unknown[]) => {
      if (!handlers.some((handler) => operationOf(handler) !== undefined)) {
        throw new Error(
          `${method.toUpperCase()} ${path} is not an operation of the API: register it with route(router, operation, handler)`,
        );
      }
      registering = true;
      try {
        return register(path, ...handlers);
      } finally {
        registering = false;
      }
    }) as OperationRouter[typeof method];
  }
  return router;
}

/** The operation a route handler was registered for by `route`, if it was. */
export const operationOf = (handler: unknown): OperationSpec | undefined =>
  typeof handler === 'function' ? (handler as { [OPERATION]?: OperationSpec })[OPERATION] : undefined;

/**
 * Registers an operation on its router as one handler chain: the operation's access first (a
 * request that is not admitted stops there, its body unread), then the JSON body, the validation
 * of every request part by its schemas, and the handler with the typed input and its caller. A
 * handler that returns a value has it sent as JSON with the operation's success status; one that
 * answers itself (204, a `Location`) does so with `res`. Errors go to the app's problem handler.
 * An operation that needs a bearer token on a router without an authenticator is refused here,
 * when the app is built.
 */
export function route<Op extends OperationSpec>(
  router: OperationRouter,
  op: Op,
  handler: OperationHandler<Op>,
): Router {
  const { auth, bodyLimitBytes = 100 * 1024 } = router[SETTINGS];
  let admission: RequestHandler[] = [];
  if (op.security !== 'public') {
    if (auth === undefined) throw new Error(`${op.operationId} needs a bearer token: give its router an authenticator`);
    admission = [requireAccess(auth, op.security)];
  }
  const validate = requestValidator(op);
  const handle: RequestHandler = async (req, res) => {
    const input = validate({
      params: req.params,
      query: req.query,
      headers: req.headers,
      body: req.body,
      caller: principalOf(req),
    });
    const result = await handler(input, req, res);
    if (!res.headersSent && result !== undefined) res.status(op.successStatus).json(result);
  };
  Object.defineProperty(handle, OPERATION, { value: op });
  return router[op.method](colonPath(op.path), ...admission, ...jsonBody({ limitBytes: bodyLimitBytes }), handle);
}

/** `GET /openapi.json`: the API's contract, generated from its operations. */
export function openApiRouter(document: OpenApiDocument): Router {
  const body = JSON.stringify(document);
  return Router({ caseSensitive: true, strict: true }).get('/openapi.json', (_req, res) => {
    res.type('application/json').set('cache-control', 'no-cache').send(body);
  });
}
